// A latin1 string written straight to a TCP socket's native handle, as net.Socket's own write path
// does at its end, without the stream.Writable in front of it: no write queue entry, callback,
// WriteWrap object or nextTick per write for a socket that holds nothing back anyway. libuv tries
// the write at once (uv_try_write); what the kernel does not take is queued in libuv behind it.
//
// Only where nothing can overtake or be overtaken: a plain TCP socket, connected, whose Writable
// holds nothing (not corked, nothing buffered or in flight). Everything else goes through
// socket.write. Writes left queued in libuv by this path come before any later one either way,
// since both end in the same libuv queue in the order they were made.
import type { Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';

interface WriteReq {
  oncomplete?: (this: WriteReq, status: number) => void;
  socket?: Socket;
}

interface StreamHandle {
  writeLatin1String(req: WriteReq, s: string): number;
}

interface StreamWrapBinding {
  WriteWrap: new () => WriteReq;
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
}

// process.binding is deprecated for new uses, but 'stream_wrap' is on its allow-list (Node 24),
// as '_http_common' is for llhttp (llhttp.ts).
const { WriteWrap, streamBaseState, kLastWriteWasAsync } = (process as unknown as { binding(name: string): StreamWrapBinding }).binding('stream_wrap');

/** Reused for every write that completes at once; one that is left queued keeps its own. */
let spare = new WriteWrap();

/** How many of a socket's writes by this path are still queued in libuv (only set once one was). */
const queued = Symbol('queued writes');

type Internals = Socket & { _handle: StreamHandle | null; connecting: boolean; encrypted?: boolean; _unrefTimer(): void; [queued]?: number };

/**
 * Writes `s` (latin1) to the socket. Like socket.write: false when the bytes wait for the client to
 * read, and then the socket emits 'drain' once they are gone.
 */
export function writeLatin1(socket: Socket, s: string): boolean {
  const sock = socket as Internals;
  const h = sock._handle;
  if (!h || sock.encrypted || sock.connecting || sock.writableLength !== 0 || sock.writableCorked !== 0 || !sock.writable || sock.destroyed) {
    return socket.write(s, 'latin1');
  }
  const req = spare;
  const err = h.writeLatin1String(req, s);
  if (err !== 0) {
    // As net.Socket does with a failed write: the socket is done for.
    socket.destroy(writeError(err));
    return false;
  }
  sock._unrefTimer();
  if (streamBaseState[kLastWriteWasAsync] === 0) return true;
  // Part of it waits in libuv: this request object is now libuv's until it completes.
  spare = new WriteWrap();
  sock[queued] = (sock[queued] ?? 0) + 1;
  req.socket = socket;
  req.oncomplete = queuedWriteDone;
  return false;
}

function queuedWriteDone(this: WriteReq, status: number): void {
  const socket = this.socket as Internals;
  this.socket = undefined;
  if (socket.destroyed) return;
  if (status < 0) {
    socket.destroy(writeError(status));
    return;
  }
  socket._unrefTimer();
  // The Writable never saw these bytes, so its own 'drain' would not come for them. (Writes made
  // through socket.write after them may still be in flight: those are the Writable's to signal.)
  if (--socket[queued]! === 0) socket.emit('drain');
}

/** As Node describes a failed write: "write EPIPE", with its code, errno and syscall. */
function writeError(errno: number): NodeJS.ErrnoException {
  const code = getSystemErrorName(errno);
  return Object.assign(new Error(`write ${code}`), { code, errno, syscall: 'write' });
}
