import { UpstreamError } from '../../src/errors.js';

/** The UpstreamError a call failed with; fails the test when it succeeds or throws anything else. */
export async function upstreamFailure(promise: Promise<unknown>): Promise<UpstreamError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UpstreamError) return error;
    throw error;
  }
  throw new Error('expected the call to fail with an UpstreamError');
}
