// Configuration files for the backend (nginx answering 200 "ok" on two ports) and for the nginx
// and haproxy proxies under test. Every process gets one worker / one thread.
import { join } from 'node:path';

const common = (dir: string) => `worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
${process.getuid?.() === 0 ? 'user root;' : ''}
events { worker_connections 8192; multi_accept on; }`;

const temps = (dir: string) => ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${join(dir, t)};`).join('\n  ');

/** The backend: fixed 200 "ok" on two ports, no logging. */
export function backendNginx(dir: string, ports: number[]): string {
  return `${common(dir)}
http {
  ${temps(dir)}
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  ${ports.map((p) => `server { listen 127.0.0.1:${p} reuseport backlog=4096; location / { return 200 "ok"; } }`).join('\n  ')}
}
`;
}

/** nginx as the proxy: HTTP/1.1 and h2c (prior knowledge) fronts, upstream keep-alive, a buffered access log. */
export function proxyNginx(dir: string, h1: number, h2: number, backends: number[]): string {
  return `${common(dir)}
http {
  ${temps(dir)}
  access_log ${join(dir, 'access.log')} combined buffer=64k flush=1s;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  upstream be {
    ${backends.map((p) => `server 127.0.0.1:${p};`).join('\n    ')}
    keepalive 128;
    keepalive_requests 10000000;
  }
  server {
    listen 127.0.0.1:${h1} backlog=4096;
    listen 127.0.0.1:${h2} http2 backlog=4096;
    location / {
      proxy_pass http://be;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }
  }
}
`;
}

/** haproxy as the proxy: HTTP mode, two servers round robin, connection reuse, logs to stdout (a file). */
export function proxyHaproxy(h1: number, h2: number, backends: number[]): string {
  return `global
  nbthread 1
  maxconn 4000
  log stdout format raw local0

defaults
  mode http
  log global
  option httplog
  timeout connect 5s
  timeout client 120s
  timeout server 120s
  http-reuse always

frontend fe
  bind 127.0.0.1:${h1}
  bind 127.0.0.1:${h2} proto h2
  default_backend be

backend be
  balance roundrobin
  ${backends.map((p, i) => `server s${i} 127.0.0.1:${p}`).join('\n  ')}
`;
}
