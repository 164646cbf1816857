import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../../../server/src/log.js';

function capture(): { lines: Record<string, unknown>[]; write: (line: string) => void } {
  const lines: Record<string, unknown>[] = [];
  return { lines, write: line => lines.push(JSON.parse(line) as Record<string, unknown>) };
}

describe('log', () => {
  describe('#error()', () => {
    it('should keep an error field with its name, message, stack and cause chain (issue 10)', () => {
      const out = capture();
      const logger = createLogger({ write: out.write });
      const root = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
      logger.error('request failed', { error: new TypeError('cannot read x', { cause: root }) });
      const error = out.lines[0]?.error as Record<string, unknown>;
      expect(error.name).toBe('TypeError');
      expect(error.message).toBe('cannot read x');
      expect(error.stack).toMatch(/^TypeError: cannot read x\n\s+at /);
      expect(error.cause).toEqual({
        name: 'Error',
        message: 'connect ECONNREFUSED 127.0.0.1:6443',
        code: 'ECONNREFUSED',
        stack: expect.stringMatching(/^Error: connect ECONNREFUSED/)
      });
    });

    it('should stop following a cause chain that loops', () => {
      const out = capture();
      const a = new Error('a');
      const b = new Error('b', { cause: a });
      (a as { cause?: unknown }).cause = b;
      createLogger({ write: out.write }).error('loop', { error: a });
      expect(JSON.stringify(out.lines[0])).toContain('"message":"b"');
    });
  });
});
