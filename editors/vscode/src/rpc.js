'use strict';
// A JSON-RPC 2.0 client over a child process's stdio, with LSP's base protocol (Content-Length
// framing). It knows nothing of Braid or of VS Code: requests return promises, notifications and
// the server's own requests go to the handlers registered for their method.

const { spawn } = require('child_process');

class RpcError extends Error {
  constructor(error) {
    super(error && error.message ? error.message : String(error));
    this.code = error && error.code;
    this.data = error && error.data;
  }
}

class RpcClient {
  /**
   * @param {string} command the executable
   * @param {string[]} args
   * @param {{cwd?: string, env?: object, log?: (line: string) => void}} options
   */
  constructor(command, args, options = {}) {
    this.command = command;
    this.args = args;
    this.options = options;
    this.nextId = 1;
    this.pending = new Map(); // id → {resolve, reject, method}
    this.notificationHandlers = new Map();
    this.requestHandlers = new Map();
    this.closeHandlers = [];
    this.buffer = Buffer.alloc(0);
    this.process = null;
    this.exited = null; // a promise settled when the process is gone
    this.running = false;
  }

  /** Starts the process; resolves once it has been spawned, rejects if it cannot be. */
  start() {
    return new Promise((resolve, reject) => {
      const child = spawn(this.command, this.args, {
        cwd: this.options.cwd,
        env: this.options.env || process.env,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      this.process = child;
      let spawned = false;
      this.exited = new Promise((done) => {
        child.on('close', (code, signal) => {
          this.running = false;
          this.failPending(new Error(`${this.command} exited (${signal || code})`));
          for (const handler of this.closeHandlers) handler(code, signal);
          done({ code, signal });
        });
      });
      child.on('error', (error) => {
        this.running = false;
        if (!spawned) reject(error);
        else this.log(`error: ${error.message}`);
      });
      child.on('spawn', () => {
        spawned = true;
        this.running = true;
        resolve();
      });
      child.stdout.on('data', (chunk) => this.receive(chunk));
      child.stderr.on('data', (chunk) => this.log(chunk.toString('utf8').replace(/\n$/, '')));
      // A write to a process that died is reported by 'close'; ignore EPIPE here.
      child.stdin.on('error', () => {});
    });
  }

  log(line) {
    if (this.options.log) this.options.log(line);
  }

  onNotification(method, handler) { this.notificationHandlers.set(method, handler); }
  onRequest(method, handler) { this.requestHandlers.set(method, handler); }
  onClose(handler) { this.closeHandlers.push(handler); }

  request(method, params) {
    if (!this.running) return Promise.reject(new Error('the Braid server is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.write({ jsonrpc: '2.0', id, method, params });
    });
  }

  notify(method, params) {
    if (!this.running) return;
    this.write(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params });
  }

  write(message) {
    const body = Buffer.from(JSON.stringify(message), 'utf8');
    this.process.stdin.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]));
  }

  failPending(error) {
    const pending = this.pending;
    this.pending = new Map();
    for (const { reject } of pending.values()) reject(error);
  }

  receive(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const header = this.buffer.subarray(0, end).toString('ascii');
      const match = /^content-length:\s*(\d+)\s*$/im.exec(header);
      if (!match) {
        this.log(`bad frame header from the server: ${JSON.stringify(header)}`);
        this.buffer = this.buffer.subarray(end + 4);
        continue;
      }
      const length = Number(match[1]);
      if (this.buffer.length < end + 4 + length) return;
      const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(end + 4 + length);
      let message;
      try {
        message = JSON.parse(body);
      } catch (error) {
        this.log(`bad JSON from the server: ${error.message}`);
        continue;
      }
      for (const one of Array.isArray(message) ? message : [message]) this.dispatch(one);
    }
  }

  dispatch(message) {
    if (message.method === undefined) {
      // An answer to one of our requests.
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (message.error) waiting.reject(new RpcError(message.error));
      else waiting.resolve(message.result === undefined ? null : message.result);
    } else if (message.id !== undefined) {
      this.answer(message);
    } else {
      const handler = this.notificationHandlers.get(message.method);
      if (!handler) return;
      try {
        handler(message.params);
      } catch (error) {
        this.log(`${message.method} handler failed: ${error.stack || error}`);
      }
    }
  }

  /** A request from the server: its handler's result (or error) is sent back. */
  async answer(message) {
    const handler = this.requestHandlers.get(message.method);
    if (!handler) {
      this.write({ jsonrpc: '2.0', id: message.id, error: { code: -32601, message: `unhandled method ${message.method}` } });
      return;
    }
    try {
      const result = await handler(message.params);
      if (this.running) this.write({ jsonrpc: '2.0', id: message.id, result: result === undefined ? null : result });
    } catch (error) {
      if (this.running) this.write({ jsonrpc: '2.0', id: message.id, error: { code: -32603, message: String(error && error.message || error) } });
    }
  }

  /** LSP's goodbye: `shutdown`, then `exit`, then wait for the process (killed if it lingers). */
  async stop(timeoutMs = 5000) {
    if (!this.process) return;
    if (this.running) {
      try {
        await withTimeout(this.request('shutdown'), timeoutMs);
      } catch (error) {
        this.log(`shutdown: ${error.message}`);
      }
      this.notify('exit');
      this.process.stdin.end();
    }
    const gone = await withTimeout(this.exited, timeoutMs).catch(() => null);
    if (!gone) {
      this.process.kill('SIGTERM');
      await this.exited;
    }
    return gone;
  }
}

function withTimeout(promise, ms) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

module.exports = { RpcClient, RpcError };
