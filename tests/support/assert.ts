// Assertions for the test suite, on top of Node's built-in `node:assert/strict`
// (JSR, and so @std/assert, is unreachable here). Names follow @std/assert.

import nodeAssert from "node:assert/strict";

/** Fails unless `value` is truthy. */
export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message);
}

/** Deep, strict equality (Dates, Uint8Arrays, Maps and class instances compared structurally). */
export function assertEquals<T>(
  actual: unknown,
  expected: T,
  message?: string,
): asserts actual is T {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Deep, strict inequality. */
export function assertNotEquals(actual: unknown, expected: unknown, message?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, message);
}

/** Fails unless `text` matches `pattern`. */
export function assertMatch(text: string, pattern: RegExp, message?: string): void {
  nodeAssert.match(text, pattern, message);
}

/** Fails unless `value` is an instance of `type`; narrows it. */
export function assertInstanceOf<T>(
  value: unknown,
  // deno-lint-ignore no-explicit-any
  type: abstract new (...args: any[]) => T,
  message?: string,
): asserts value is T {
  nodeAssert.ok(
    value instanceof type,
    message ?? `expected an instance of ${type.name}, got ${describe(value)}`,
  );
}

/** Runs `fn`, expects it to throw an instance of `type` (message containing `includes`), and returns the error. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  type: abstract new (...args: any[]) => E,
  includes?: string,
): E {
  try {
    fn();
  } catch (error) {
    return check(error, type, includes);
  }
  throw new nodeAssert.AssertionError({ message: `expected ${type.name} to be thrown` });
}

/** Awaits `fn`, expects it to reject with an instance of `type` (message containing `includes`), and returns the error. */
export async function assertRejects<E extends Error>(
  fn: () => PromiseLike<unknown>,
  // deno-lint-ignore no-explicit-any
  type: abstract new (...args: any[]) => E,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (error) {
    return check(error, type, includes);
  }
  throw new nodeAssert.AssertionError({ message: `expected a rejection with ${type.name}` });
}

// deno-lint-ignore no-explicit-any
function check<E>(error: unknown, type: abstract new (...args: any[]) => E, includes?: string): E {
  if (!(error instanceof type)) {
    throw new nodeAssert.AssertionError({
      message: `expected ${type.name}, got ${describe(error)}`,
    });
  }
  if (includes !== undefined && !String((error as Error).message).includes(includes)) {
    throw new nodeAssert.AssertionError({
      message: `expected the message to include ${JSON.stringify(includes)}, got ${
        JSON.stringify((error as Error).message)
      }`,
    });
  }
  return error;
}

function describe(value: unknown): string {
  if (value instanceof Error) return `${value.constructor.name}: ${value.message}`;
  return Deno.inspect(value, { depth: 1 });
}
