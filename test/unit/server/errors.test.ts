import { describe, expect, it } from '@jest/globals';
import {
  AuthenticationError,
  ConflictError,
  InputError,
  KernelStartTimeoutError,
  LimitExceededError,
  NotFoundError,
  statusOf
} from '../../../server/src/errors.js';

describe('errors', () => {
  describe('#statusOf()', () => {
    it('should map each typed error to its status', () => {
      expect(statusOf(new InputError('x'))).toBe(400);
      expect(statusOf(new AuthenticationError('x'))).toBe(401);
      expect(statusOf(new LimitExceededError('x'))).toBe(403);
      expect(statusOf(new NotFoundError('x'))).toBe(404);
      expect(statusOf(new ConflictError('x'))).toBe(409);
      expect(statusOf(new KernelStartTimeoutError('x'))).toBe(504);
    });

    it('should honour a numeric status from express/body-parser errors', () => {
      expect(statusOf(Object.assign(new Error('too big'), { status: 413 }))).toBe(413);
    });

    it('should answer 500 for anything unknown', () => {
      expect(statusOf(new Error('boom'))).toBe(500);
      expect(statusOf('string')).toBe(500);
      expect(statusOf({ status: 200 })).toBe(500);
    });

    it('should set the error name from the subclass', () => {
      expect(new NotFoundError('gone').name).toBe('NotFoundError');
    });
  });
});
