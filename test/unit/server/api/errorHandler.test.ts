import { describe, expect, it } from '@jest/globals';
import type { Request, Response } from 'express';
import { errorHandler } from '../../../../server/src/api/errorHandler.js';
import { NotFoundError } from '../../../../server/src/errors.js';
import { createLogger } from '../../../../server/src/log.js';

function run(error: unknown) {
  const lines: Record<string, unknown>[] = [];
  const handler = errorHandler(createLogger({ write: line => lines.push(JSON.parse(line) as Record<string, unknown>) }));
  const answer: { status?: number; body?: unknown } = {};
  const res = {
    headersSent: false,
    status(code: number) {
      answer.status = code;
      return this;
    },
    json(body: unknown) {
      answer.body = body;
      return this;
    }
  };
  handler(error, { method: 'GET', path: '/api/kernels' } as Request, res as unknown as Response, () => undefined);
  return { answer, lines };
}

describe('api/errorHandler', () => {
  it('should log a 5xx with its stack and answer without internals (issue 10)', () => {
    const { answer, lines } = run(new TypeError("Cannot read properties of undefined (reading 'launched')"));
    expect(answer).toEqual({ status: 500, body: { reason: 'InternalError', message: 'internal error; see the gateway log' } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', message: 'request failed', method: 'GET', path: '/api/kernels', status: 500 });
    expect((lines[0]?.error as { stack: string }).stack).toMatch(/^TypeError: Cannot read properties of undefined \(reading 'launched'\)\n\s+at /);
  });

  it('should answer a typed 4xx with its reason and message, and not log it', () => {
    const { answer, lines } = run(new NotFoundError('kernel k does not exist'));
    expect(answer).toEqual({ status: 404, body: { reason: 'NotFound', message: 'kernel k does not exist' } });
    expect(lines).toEqual([]);
  });
});
