/**
 * What the State pane and `--ci state` need of an environment's state: reading it, and the
 * repairs (remove, move, push, force-unlock, the legacy import), each refused while the state lock
 * is held by someone else, preceded by a backup, and recorded in the history. Plans for one
 * resource, forced replacements and import blocks go through the ordinary plan (see
 * `Engine.plan`'s `targets`, `replace` and `imports`). Plain types: the implementation is
 * `StateService` (service.ts).
 */
import type { StateDoc } from '../../core/tf-state.js';
import type { LockInfo } from '../terraform/backend.js';

/** A state as read: the parsed document, how it was read and how long that took (ms). */
export interface StateRead {
  doc: StateDoc;
  readMs: number;
  /**
   * `object`: the backend's state object read with the SDK (`GetObject` of `ENV/terraform.tfstate`);
   * `pull`: `terraform state pull` (when the object could not be read that way).
   */
  source: 'object' | 'pull';
  /** When it was read (ms epoch). */
  at: number;
}

/** Where the copy of the state taken before a change is kept. */
export interface StateBackup {
  /** The local copy (0600) under the environment's work dir, `WORK/ENV/state-backups/…tfstate`. */
  path: string;
  /** The copy in the state bucket (SSE-KMS), `ENV/state-backups/…tfstate`, when it could be written. */
  key?: string;
  /** The serial of the state that was copied. */
  serial: number;
}

/** What a state change did. */
export interface StateChange {
  /** `state-rm`, `state-mv`, `state-push`, `state-import`, `state-unlock`. */
  operation: string;
  /** The addresses it was about (rm: removed; mv: from, to; import: the address). */
  addresses: string[];
  /** Serial before and after (after: undefined when it could not be read again). */
  serialBefore?: number;
  serialAfter?: number;
  backup?: StateBackup;
  /** The history record's id, when it was written (a warning says when not). */
  historyId?: string;
  /** mv: the `moved` block to commit so the move is part of the configuration. */
  movedBlock?: string;
  /** What went wrong beside the change, which was made (the copy or the record could not reach the bucket). */
  warnings?: string[];
}

/** Progress of a state change, for the message line or the `--ci` log. */
export type StateProgress = (step: string) => void;

/** The state operations of one environment. */
export interface StateOps {
  /**
   * `terraform state pull`, parsed. Read-only and lock-free: runs beside a plan or apply.
   * @throws TofuError when Terraform fails (backend unreachable), ConsoleError when the text is not a state.
   */
  read(): Promise<StateRead>;
  /**
   * Refuses while this console or machine runs an operation, or the state lock is held or cannot
   * be read (before a plan for one resource, a replacement or an import).
   * @throws ConsoleError naming the holder.
   */
  assertFree(what: string): Promise<void>;
  /** The raw state text (`terraform state pull`). @throws TofuError */
  pull(): Promise<string>;
  /**
   * `terraform state rm ADDR…` after a backup. Refused (ConsoleError naming the holder) while the
   * lock is held, while this machine's run is alive, when an address is not in the state.
   */
  rm(addresses: string[], progress?: StateProgress): Promise<StateChange>;
  /** `terraform state mv FROM TO` after a backup; returns the `moved` block to commit. Same refusals. */
  mv(from: string, to: string, progress?: StateProgress): Promise<StateChange>;
  /** `terraform import ADDR ID` (the fallback when an import block cannot plan it), after a backup. Same refusals. */
  importDirect(address: string, id: string, progress?: StateProgress): Promise<StateChange>;
  /**
   * `terraform state push FILE` after a backup: refused when FILE's lineage differs from the
   * backend's, or its serial is not newer (never `-force`). Same refusals.
   */
  push(file: string, progress?: StateProgress): Promise<StateChange>;
  /**
   * `terraform force-unlock` of `lockId`, only when it is the held lock's ID (a wrong ID is refused,
   * naming the holder) and no run of this machine is alive. Recorded in the history.
   * @returns the lock that was released.
   */
  unlock(lockId: string, progress?: StateProgress): Promise<{ lock: LockInfo; change: StateChange }>;
}
