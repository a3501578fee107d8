import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Loaded<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload: () => void;
  set: (data: T) => void;
}

/** What one load answered, and for which deps and round. */
interface Answer<T> {
  deps: unknown[];
  round: number;
  data: T | null;
  error: unknown;
}

const sameDeps = (a: unknown[], b: unknown[]) => a.length === b.length && a.every((value, index) => Object.is(value, b[index]));

/**
 * Loads once per change of `deps` (and on reload()); the newest answer wins. An answer counts only
 * for the deps it was loaded with: from the render in which they change, this reports loading and no
 * data (not the previous deps' answer, which the effect could only clear a render later). A reload
 * keeps the current data on screen while it loads.
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [answer, setAnswer] = useState<Answer<T> | null>(null);
  const [round, setRound] = useState(0);
  const asked = useRef({ deps, round });
  asked.current = { deps, round };
  useEffect(() => {
    let current = true;
    const these = { deps, round };
    load().then(
      (data) => {
        if (current) setAnswer({ ...these, data, error: null });
      },
      (error: unknown) => {
        if (current) setAnswer({ ...these, data: null, error });
      },
    );
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller names what the load depends on
  }, [...deps, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  const set = useCallback((data: T) => setAnswer({ ...asked.current, data, error: null }), []);
  const forDeps = answer !== null && sameDeps(answer.deps, deps) ? answer : null;
  const done = forDeps !== null && forDeps.round === round;
  // While reloading, the data stays (as before), but not an error: the new answer replaces it.
  return { data: forDeps?.data ?? null, error: done ? forDeps.error : null, loading: !done, reload, set };
}
