import { Server } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startHttpServer } from './http-server.ts';

afterEach(() => vi.restoreAllMocks());

describe('startHttpServer, listen refused for lack of privileges', () => {
  it('EACCES (a port below 1024 without root, which this machine may have): a message naming the fix', async () => {
    vi.spyOn(Server.prototype, 'listen').mockImplementationOnce(function (this: Server) {
      process.nextTick(() => this.emit('error', Object.assign(new Error('listen EACCES'), { code: 'EACCES' })));
      return this;
    });
    await expect(
      startHttpServer({ fetch: () => new Response(), port: 80, name: 'the device', portSetting: 'DEVICE_WEBHOOK_PORT' })
    ).rejects.toMatchObject({
      name: 'HttpServerStartError',
      code: 'EACCES',
      message:
        'Port 80 on 127.0.0.1 needs privileges this user does not have, so the device cannot start. Set DEVICE_WEBHOOK_PORT to another port above 1023.',
    });
  });
});
