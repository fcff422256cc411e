// The step runner shared by the scripts: each step runs once, in order, under a time limit, and
// is recorded as {group, name, ok, error}. A failed step never stops the ones after it.

export const STEP_MS = 10_000;

export class Steps {
  constructor() {
    this.results = [];
  }

  /** Run `fn` as step `group/name`; its answer (or undefined after a failure) is returned. */
  async run(group, name, fn) {
    let timer;
    const limit = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${STEP_MS} ms`)), STEP_MS);
    });
    try {
      const answer = await Promise.race([fn(), limit]);
      this.results.push({ group, name, ok: true, error: null });
      return answer;
    } catch (error) {
      this.results.push({ group, name, ok: false, error: describe(error) });
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}

function describe(error) {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : "";
  return `${error.name}: ${error.message}${cause}`.slice(0, 2000);
}

/** Throw unless `condition`: a step passes only when the client got what the venue promises. */
export function expect(condition, message) {
  if (!condition) throw new Error(`unexpected answer: ${message}`);
}

/** `x` as a venue price: at most 5 significant figures and (6 - szDecimals) decimals. */
export function price(x, szDecimals, maxDecimals = 6) {
  const decimals = Math.max(0, maxDecimals - szDecimals);
  const sig = Number(Number(x).toPrecision(5));
  return String(Number(sig.toFixed(decimals)));
}

/** The first non-empty answer of `probe()`, polling every 50 ms (the step's limit bounds it). */
export async function eventually(probe) {
  for (;;) {
    const answer = await probe();
    if (answer.length > 0) return answer;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The first event a subscription delivers after `trigger()` ran, or a timeout error. */
export async function firstEvent(subscribe, trigger = async () => {}, accept = () => true) {
  let resolve;
  const event = new Promise((r) => (resolve = r));
  const subscription = await subscribe((data) => {
    if (accept(data)) resolve(data);
  });
  try {
    await trigger();
    return await event;
  } finally {
    await subscription.unsubscribe();
  }
}

/** A cloid ("0x" and 32 hex digits) from a BigInt. */
export function cloid(n) {
  return `0x${n.toString(16).padStart(32, "0")}`;
}
