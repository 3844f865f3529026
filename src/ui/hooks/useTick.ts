import { useEffect, useState } from 'react';

/** A counter that increases every `intervalMs` while `active` (for elapsed times and spinners); one timer per caller. */
export function useTick(active: boolean, intervalMs = 1000): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setTick((n) => n + 1), intervalMs);
    return () => clearInterval(t);
  }, [active, intervalMs]);
  return tick;
}
