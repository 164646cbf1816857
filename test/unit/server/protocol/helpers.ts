import { expect } from '@jest/globals';

import { InvalidMessageError } from '../../../../server/src/protocol/errors.js';

/** Asserts that `fn` throws an `InvalidMessageError` with exactly `message` (ignoring `cause`). */
export function expectInvalid(fn: () => unknown, message: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidMessageError);
  expect((thrown as Error).message).toBe(message);
}
