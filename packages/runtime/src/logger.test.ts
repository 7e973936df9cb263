import { describe, expect, it } from 'vitest';
import { createLogger, readableLogLine } from './logger.ts';

function collect() {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}

describe('createLogger', () => {
  it('writes one JSON object per line: ISO time, level label, name, the given fields, the message', () => {
    const { lines, destination } = collect();
    createLogger({ name: 'proxy', destination }).warn({ requestId: 'r-1', status: 429 }, 'request');
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith('\n')).toBe(true);
    const entry = JSON.parse(lines[0] as string);
    expect(entry).toEqual({
      level: 'warn',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      name: 'proxy',
      requestId: 'r-1',
      status: 429,
      msg: 'request',
    });
  });

  it('censors secrets passed by mistake: headers, cookies, passwords, tokens, bodies and queries', () => {
    const { lines, destination } = collect();
    createLogger({ name: 'proxy', destination }).info(
      {
        headers: { authorization: 'Bearer eyJ.secret' },
        cookie: 'sid=abc',
        password: 'hunter2',
        token: 'eyJ.token',
        body: { name: 'Patient Zero' },
        query: 'name=Zero',
        request: { authorization: 'Basic c2VjcmV0', clientSecret: 'shh' },
      },
      'oops'
    );
    expect(lines[0]).not.toMatch(/eyJ|abc|hunter2|Zero|c2VjcmV0|shh/);
    expect(JSON.parse(lines[0] as string).request).toEqual({ authorization: '[redacted]', clientSecret: '[redacted]' });
  });

  it('pretty: one readable line with the time, level, name and area', () => {
    const { lines, destination } = collect();
    createLogger({ name: 'device', destination, pretty: true }).info({ area: 'upload' }, 'sent 2 results');
    expect(lines.join('')).toMatch(/^\[\d\d:\d\d:\d\d\] INFO.*: device\/upload: sent 2 results\n$/);
  });

  it('below the level, nothing is written', () => {
    const { lines, destination } = collect();
    const log = createLogger({ name: 'x', destination, level: 'warn' });
    log.info('quiet');
    log.debug('quieter');
    expect(lines).toEqual([]);
  });
});

describe('readableLogLine', () => {
  it('turns a JSON entry into the readable line and passes any other line through', () => {
    const readable = readableLogLine(false);
    expect(
      readable('{"level":"info","time":"2026-01-01T10:00:00.000Z","name":"proxy","msg":"hello","status":200}')
    ).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: proxy: hello \{"status":200\}$/);
    expect(readable('Medplum emulator ready')).toBe('Medplum emulator ready');
    expect(readable('{not json')).toBe('{not json');
  });
});
