/** The error `run` throws, checked to be a `type`; fails the test if nothing is thrown. */
export function thrownBy<E extends Error>(
  run: () => unknown,
  type: abstract new (...args: never[]) => E,
): E {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as E;
  }
  throw new Error(`expected a ${type.name} to be thrown`);
}

/** The error `run`'s promise rejects with, checked to be a `type`; fails the test if it resolves. */
export async function rejectionOf<E extends Error>(
  run: () => Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as E;
  }
  throw new Error(`expected a ${type.name} rejection`);
}
