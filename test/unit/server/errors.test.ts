import { describe, expect, it } from '@jest/globals';
import {
  AuthenticationError,
  ConflictError,
  InputError,
  KernelStartTimeoutError,
  LimitExceededError,
  KernelUnschedulableError,
  NotFoundError,
  QuotaExceededError,
  describeError,
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

  describe('#describeError()', () => {
    it('should name what failed in reason, so clients can tell cases apart (issue 10)', () => {
      expect(describeError(new NotFoundError('kernel x does not exist'))).toEqual({ status: 404, reason: 'NotFound', message: 'kernel x does not exist' });
      expect(describeError(new KernelUnschedulableError('0/2 nodes are available'))).toEqual({
        status: 503,
        reason: 'KernelUnschedulable',
        message: '0/2 nodes are available'
      });
      expect(describeError(new QuotaExceededError('exceeded quota'))).toMatchObject({ status: 403, reason: 'QuotaExceeded' });
      expect(describeError(new InputError('x'))).toMatchObject({ status: 400, reason: 'InvalidInput' });
      expect(describeError(new AuthenticationError('x'))).toMatchObject({ status: 401, reason: 'AuthenticationFailed' });
    });

    it('should map body-parser errors to messages that say what to change', () => {
      expect(describeError(Object.assign(new Error('x'), { status: 413, type: 'entity.too.large', limit: 1024 }))).toEqual({
        status: 413,
        reason: 'PayloadTooLarge',
        message: 'request body is larger than the 1024 byte limit; send a smaller body'
      });
      expect(describeError(Object.assign(new SyntaxError('Unexpected token'), { status: 400, type: 'entity.parse.failed' }))).toMatchObject({
        status: 400,
        reason: 'InvalidJson'
      });
    });

    it('should answer 400 for a malformed percent-escape, not 500 (issue 10)', () => {
      let thrown: unknown;
      try {
        decodeURIComponent('%E0%A4%A');
      } catch (error) {
        thrown = error;
      }
      expect(describeError(thrown)).toMatchObject({ status: 400, reason: 'InvalidInput' });
    });

    it('should keep the message of an unexpected error out of the answer', () => {
      expect(describeError(new TypeError("Cannot read properties of undefined (reading 'x')"))).toEqual({
        status: 500,
        reason: 'InternalError',
        message: 'internal error; see the gateway log'
      });
    });
  });
});
