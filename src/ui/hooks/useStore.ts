import { useSyncExternalStore } from 'react';
import type { AppState, Store } from '../../state/store.js';

/** Re-renders the component on every (throttled) store notification and returns the state. */
export function useStore(store: Store): AppState {
  useSyncExternalStore(store.subscribe, store.getVersion);
  return store.state;
}
