import { describe, expect, it } from '@jest/globals';

import { jupyterDate, makeMessage } from '../../../../server/src/protocol/make.js';
import { parseHeader } from '../../../../server/src/protocol/wire.js';

const DATE = new Date('2026-01-02T03:04:05.000Z');

describe('protocol/make', () => {
  describe('#jupyterDate()', () => {
    it('should always write six fractional digits and Z', () => {
      expect(jupyterDate(DATE)).toBe('2026-01-02T03:04:05.000000Z');
      expect(jupyterDate(new Date('2026-01-02T03:04:05.678Z'))).toBe('2026-01-02T03:04:05.678000Z');
    });
  });

  describe('#makeMessage()', () => {
    it('should write a complete 5.4 header and empty dict parts by default', () => {
      const msg = makeMessage({ channel: 'shell', msgType: 'kernel_info_request', session: 's', username: 'u', msgId: 'id', date: DATE });
      expect(msg).toEqual({
        channel: 'shell',
        header:
          '{"msg_id":"id","msg_type":"kernel_info_request","session":"s","username":"u","date":"2026-01-02T03:04:05.000000Z","version":"5.4"}',
        parentHeader: '{}',
        metadata: '{}',
        content: '{}',
        buffers: []
      });
    });

    it('should give every message a fresh uuid msg_id', () => {
      const make = (): string =>
        parseHeader(makeMessage({ channel: 'shell', msgType: 'kernel_info_request', session: 's', username: 'u' })).msg_id;
      const [a, b] = [make(), make()];
      expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(a).not.toBe(b);
    });

    it('should keep a parent header given as text verbatim and stringify one given as an object', () => {
      const parentText = '{"msg_id":"p", "msg_type":"execute_request"}';
      const base = { channel: 'iopub', msgType: 'status', session: 's', username: 'u', content: { execution_state: 'idle' } } as const;
      expect(makeMessage({ ...base, parentHeader: parentText }).parentHeader).toBe(parentText);
      const parent = { msg_id: 'p', msg_type: 'x', session: 's', username: 'u', date: '', version: '5.4' };
      expect(makeMessage({ ...base, parentHeader: parent }).parentHeader).toBe(JSON.stringify(parent));
      expect(makeMessage(base).content).toBe('{"execution_state":"idle"}');
    });
  });
});
