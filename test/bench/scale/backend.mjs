/**
 * A `Backend` (server/src/backends/types.ts) that launches minimal kernels (mini_kernel.py)
 * inside a few Python processes, `capacity` kernels each. The gateway does everything else as
 * for a real kernel: zmq channels, kernel_info nudge, websocket relay, shutdown_request.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'mini_kernel.py');

export class MiniKernelBackend {
  name = 'local';

  constructor({ python, capacity = 100 }) {
    this._python = python;
    this._capacity = capacity;
    this._hosts = [];
  }

  _host() {
    let host = this._hosts.find(h => h.used < this._capacity && !h.dead);
    if (!host) {
      const child = spawn(this._python, [script, '--capacity', String(this._capacity)], { stdio: ['pipe', 'pipe', 'inherit'] });
      host = { child, used: 0, dead: false, waiting: new Map() };
      const h = host;
      createInterface({ input: child.stdout }).on('line', line => {
        // "<verb> <kernel id> [json]"
        const [verb, id] = line.split(' ', 2);
        h.waiting.get(`${verb} ${id}`)?.(line.slice(verb.length + id.length + 2));
      });
      h.exited = new Promise(resolve => child.once('exit', (code, signal) => {
        h.dead = true;
        resolve({ code, signal, reason: 'mini kernel host ended' });
      }));
      this._hosts.push(host);
    }
    return host;
  }

  _ask(host, command, expect, id) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`mini kernel host did not answer '${command.split(' ', 2).join(' ')}'`)), 30_000);
      host.waiting.set(`${expect} ${id}`, value => {
        clearTimeout(timer);
        host.waiting.delete(`${expect} ${id}`);
        resolve(value);
      });
      host.child.stdin.write(command + '\n');
    });
  }

  async launch(request) {
    const host = this._host();
    host.used++;
    const ports = JSON.parse(await this._ask(host, `start ${request.kernelId} ${request.key}`, 'started', request.kernelId));
    let resolveExit;
    const stopped = new Promise(resolve => (resolveExit = resolve));
    let terminating;
    return {
      connection: { ip: '127.0.0.1', transport: 'tcp', ...ports, key: request.key, signature_scheme: 'hmac-sha256', kernel_name: request.profile.id },
      exited: Promise.race([stopped, host.exited]),
      sparkUi: null,
      interrupt: async () => {},
      terminate: () =>
        (terminating ??= (async () => {
          if (!host.dead) {
            await this._ask(host, `stop ${request.kernelId}`, 'stopped', request.kernelId).catch(() => undefined);
          }
          host.used--;
          resolveExit({ code: 0, signal: null, reason: 'stopped' });
        })()),
      logTail: async () => ''
    };
  }

  async dispose() {
    for (const host of this._hosts) {
      host.child.stdin.end();
    }
    await Promise.all(this._hosts.map(h => Promise.race([h.exited, new Promise(r => setTimeout(r, 3000))])));
    for (const host of this._hosts) {
      if (!host.dead) {
        host.child.kill('SIGKILL');
      }
    }
  }
}
