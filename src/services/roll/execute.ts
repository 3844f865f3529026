/**
 * A roll from start to end, as `--ci roll --auto-approve` and the Roll pane run it: the state lock
 * (Operation "roll"; a dead roll's taken over), the earlier roll's record marked interrupted when
 * its process is gone, a history record (operation roll) written at the start and at every step,
 * the {@link runRoll runner}, the record's outcome, the lock released. Plain TypeScript, no Ink.
 */
import { readFile } from 'node:fs/promises';

import { S3Client } from '@aws-sdk/client-s3';

import { clientConfig, type AwsContext } from '../aws/context.js';
import { newHistoryId, sha256Hex, type HistoryRecord } from '../history/record.js';
import { thisLogin } from '../history/recorder.js';
import type { HistoryStore } from '../history/store.js';
import type { BackendSettings } from '../terraform/backend.js';
import { takeRollLock } from './lock.js';
import type { RollPlan } from './plan.js';
import { rollRecordOf, runRoll, type RollControl, type RollEvent, type RollOutcome, type RollPorts, type RollResume, type RollSettings } from './runner.js';

/** What {@link executeRoll} needs of the open environment. */
export interface RollTarget {
  environment: string;
  aws: AwsContext;
  backend: BackendSettings;
  history: HistoryStore;
  /** STS caller ARN, for the record. */
  callerArn: string;
  terraformVersion: string;
  profileFile: string;
}

/** What {@link executeRoll} says besides the runner's events. */
export type ExecuteEvent = RollEvent | { kind: 'locked'; id: string; tookOver?: string } | { kind: 'warning'; text: string };

/**
 * Takes the lock, records and runs the roll, releases the lock.
 * @param earlier the newest earlier roll record of the layer, when one was found (marked interrupted
 *   here when it is still "running": its lock was free or taken over, so its process is gone).
 * @returns the outcome and the record's id.
 * @throws ConsoleError when the lock is held by another (nothing was changed), or cannot be taken.
 */
export async function executeRoll(
  t: RollTarget,
  plan: RollPlan,
  o: { force: boolean; batch: number; ports: RollPorts; settings: RollSettings; control: RollControl; signal?: AbortSignal; resume?: RollResume; earlier?: HistoryRecord },
  emit: (e: ExecuteEvent) => void,
): Promise<{ outcome: RollOutcome; recordId: string }> {
  const s3 = new S3Client(clientConfig(t.aws));
  try {
    const lock = await takeRollLock(s3, t.backend, { who: thisLogin(), what: `roll ${plan.layer}`, terraformVersion: t.terraformVersion });
    try {
      emit({ kind: 'locked', id: lock.id, ...(lock.tookOver ? { tookOver: `${lock.tookOver.id} of ${lock.tookOver.who}` } : {}) });
      if (o.earlier?.outcome === 'running') {
        await t.history.complete({ ...o.earlier, outcome: 'interrupted', endedAt: new Date().toISOString(), note: 'still "running" when the next roll took the state lock: its process had stopped' }, { replaceInterrupted: false });
      }
      const now = new Date();
      const roll = rollRecordOf(plan, { force: o.force, batch: o.batch });
      const rec: HistoryRecord = {
        version: 1,
        id: newHistoryId(now, 'roll'),
        environment: t.environment,
        operation: 'roll',
        outcome: 'running',
        who: { arn: t.callerArn, login: thisLogin() },
        startedAt: now.toISOString(),
        terraformVersion: t.terraformVersion,
        profileHash: sha256Hex(await readFile(t.profileFile)),
        resources: [],
        diagnostics: [],
        roll,
      };
      let writes: Promise<unknown> = Promise.resolve();
      const put = (first: boolean) => {
        const snapshot = structuredClone(rec);
        writes = writes
          .then(async () => {
            const w = first ? await t.history.create(snapshot) : await t.history.complete(snapshot);
            if (w.stored === 'local') emit({ kind: 'warning', text: `history: the roll record could not be written to s3://${t.backend.bucket} (${w.reason}); kept in ${w.path}` });
          })
          // Not even the local copy could be written: said, and the roll goes on (it must not die with the lock held).
          .catch((err: unknown) => emit({ kind: 'warning', text: `history: the roll record could not be written anywhere: ${(err as Error).message}` }));
      };
      put(true);
      let outcome: RollOutcome;
      try {
        outcome = await runRoll(plan, o.ports, o.settings, roll, (e) => (e.kind === 'record' ? put(false) : emit(e)), o.control, o.signal, o.resume);
      } catch (err) {
        outcome = { outcome: o.signal?.aborted ? 'interrupted' : 'failed', replaced: [], reason: (err as Error).message };
        roll.stopped ??= { step: 'error', reason: (err as Error).message };
      }
      rec.outcome = outcome.outcome === 'succeeded' ? 'succeeded' : outcome.outcome === 'aborted' ? 'cancelled' : outcome.outcome === 'interrupted' ? 'interrupted' : 'failed';
      rec.endedAt = new Date().toISOString();
      put(false);
      await writes;
      return { outcome, recordId: rec.id };
    } finally {
      const problem = await lock.release();
      if (problem) emit({ kind: 'warning', text: problem });
    }
  } finally {
    s3.destroy();
  }
}
