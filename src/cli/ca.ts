// `trellis ca`: prints the local CA certificate that HTTPS listeners' certificates chain to.
import { parseArgs } from 'node:util';
import { LocalCa } from '../dataplane/tls/ca.ts';

const HELP = `Usage: trellis ca [--data-dir DIR]

Prints the PEM certificate of Trellis's local certificate authority, creating it in
<data-dir>/ca on first use. HTTPS listeners without a certificate of yours serve one for the
service's generated DNS name issued by this CA; trust it to connect without warnings:

  trellis ca > trellis-ca.pem
  curl --cacert trellis-ca.pem https://<service DNS name>/
  NODE_EXTRA_CA_CERTS=trellis-ca.pem node app.js

  --data-dir DIR    where state lives (default ./.trellis)`;

export async function caCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string', default: './.trellis' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return void console.log(HELP);
  const ca = await LocalCa.open(values['data-dir']);
  process.stdout.write(ca.certPem);
}
