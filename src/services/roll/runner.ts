/**
 * Runs a roll: the nodes of a {@link RollPlan}, a batch at a time, every step gated and reported.
 * Plain TypeScript, no Ink: the Roll pane and `--ci roll` drive it the same way.
 *
 * Before each batch, the gates (each reported with its result): the group at its desired capacity
 * with every instance InService and Healthy; every Kubernetes node Ready and no kube-system pod
 * unhealthy; for the control plane, etcd healthy with the full member count (`etcdctl endpoint
 * health --cluster` and `member list` on a healthy control-plane node through SSH).
 *
 * Per node: cordon and drain (the Eviction API); for the control plane, remove its etcd member
 * (found by the node's addresses) from a healthy peer; terminate the instance through
 * `TerminateInstanceInAutoScalingGroup` without decrementing the capacity; wait for the
 * replacement to be InService, for the control plane to have attached the freed etcd volume and
 * network interface of its zone (tags KubernetesCluster and Role = secure, as the bootstrap's
 * `attach_free` finds them), to be a Ready node, and for the control plane to be an etcd member
 * again with all members healthy; then wait `settleMs`.
 *
 * Any failed gate or step stops the roll, says which and why, and leaves the group as it is (no
 * further termination). Between batches, {@link RollControl.pause} waits and {@link RollControl.abort}
 * stops. Every step is put in the {@link RollRecord} given (the caller writes it to the history).
 */
import { setTimeout as sleep } from 'node:timers/promises';

import type { RollNodeRecord, RollRecord } from '../history/record.js';
import { ETCD_COMMANDS, etcdGate, memberAt, parseEndpointHealth, parseMemberList, type EtcdMember } from './etcd.js';
import type { GroupInstance, NodeGroup } from './group.js';
import { RollError } from './errors.js';
import type { DrainOptions, DrainResult, GateResult, RollNode } from './kube.js';
import { RollControl } from './control.js';
import { blockersOf, type RollPlan } from './plan.js';

/** What the runner needs of AWS, Kubernetes and SSH (the services; tests pass the same ones on real parts). */
export interface RollPorts {
  readGroup(signal?: AbortSignal): Promise<NodeGroup>;
  /** `TerminateInstanceInAutoScalingGroup`, `ShouldDecrementDesiredCapacity` false. */
  terminate(instanceId: string): Promise<void>;
  /** The control plane's slot volume and network interface attached to the instance (ids), if any. */
  slotOf(instanceId: string, availabilityZone: string): Promise<{ volume?: string; networkInterface?: string }>;
  clusterGate(): Promise<GateResult>;
  /** The instance's Kubernetes node (see kube.ts's nodeOfInstance). */
  nodeOf(i: { instanceId: string; privateIps: readonly string[]; launchTime?: string }): Promise<RollNode | undefined>;
  /** Deletes a terminated instance's node object (404 is fine). */
  deleteNode(name: string): Promise<void>;
  drain(node: string, o: DrainOptions): Promise<DrainResult>;
  /**
   * Runs an etcdctl command line on one of `on` (control-plane instances, tried in order until one
   * answers), for the control plane only.
   * @returns the first answer: exit status, output, and which instance ran it.
   * @throws RollError when none could be reached.
   */
  etcd?(command: string, on: readonly GroupInstance[], signal?: AbortSignal): Promise<{ code: number; stdout: string; stderr: string; instanceId: string }>;
}

/** How a roll runs. */
export interface RollSettings {
  /** `--drain-timeout`, ms (default 300,000). */
  drainTimeoutMs: number;
  /** `--disable-eviction`. */
  disableEviction: boolean;
  /** `--settle`, ms, after each batch (default 60,000). */
  settleMs: number;
  /** How long a replacement may take to be InService, attached, a Ready node and an etcd member, ms (default 900,000). */
  replaceTimeoutMs: number;
  /** Between two looks while waiting, ms (default 10,000). */
  pollMs: number;
}

/** The defaults of {@link RollSettings}. */
export const ROLL_DEFAULTS: RollSettings = { drainTimeoutMs: 300_000, disableEviction: false, settleMs: 60_000, replaceTimeoutMs: 900_000, pollMs: 10_000 };

/** What the runner reports as it goes. */
export type RollEvent =
  | { kind: 'gate'; name: 'capacity' | 'cluster' | 'etcd'; ok: boolean; detail: string }
  | { kind: 'step'; instanceId: string; step: string; state: 'running' | 'succeeded' | 'failed' | 'skipped'; detail: string }
  | { kind: 'batch'; index: number; of: number; instanceIds: string[] }
  | { kind: 'paused' }
  | { kind: 'resumed' }
  | { kind: 'record' };

export { RollControl } from './control.js';

/** How a roll ended. */
export interface RollOutcome {
  /** `succeeded` (every planned node replaced), `failed` (a gate or step said no), `aborted` (abort between batches), `interrupted` (the signal). */
  outcome: 'succeeded' | 'failed' | 'aborted' | 'interrupted';
  /**
   * Instances replaced (old id → new id), in order. `verified`: the replacement passed every check
   * before the roll ended (InService; for the control plane attached; a Ready node; for the control
   * plane an etcd member with all members healthy). False when the roll stopped while waiting for one.
   */
  replaced: { from: string; to: string; verified: boolean }[];
  /** When it did not succeed: what said no, and why. */
  reason?: string;
}

/** The node an earlier roll (killed, crashed, interrupted) left half-done. */
export interface RollResume {
  instanceId: string;
  availabilityZone: string;
  /** The earlier roll recorded removing its etcd member. */
  memberRemoved: boolean;
  /** Every instance the earlier roll planned or saw launched: a newer one is the replacement. */
  known: string[];
}

/**
 * The half-done node of an earlier roll of the same layer, from its record: its last node, when
 * that node's last step (an etcd member again, or Ready for workers) did not succeed. Undefined
 * when it ended cleanly or never started a node.
 */
export function resumeOf(rec: RollRecord): RollResume | undefined {
  const last = rec.nodes[rec.nodes.length - 1];
  if (!last) return undefined;
  const final = rec.layer === 'secure' ? 'etcd-member' : 'ready';
  if (last.steps.some((x) => x.step === final && x.result === 'succeeded')) return undefined;
  // The half-done node's own replacement, if the record got to name it, is the one to wait for: not "known".
  const earlier = rec.nodes.slice(0, -1).flatMap((n) => (n.replacement ? [n.instanceId, n.replacement] : [n.instanceId]));
  const memberRemoved = last.steps.some((x) => x.step === 'etcd-remove' && x.result === 'succeeded');
  return { instanceId: last.instanceId, availabilityZone: last.availabilityZone, memberRemoved, known: [...new Set([...rec.planned, ...(rec.others ?? []), ...earlier, last.instanceId])] };
}

/** A new {@link RollRecord} for a plan. */
export function rollRecordOf(plan: RollPlan, o: { force: boolean; batch: number }): RollRecord {
  return { layer: plan.layer, group: plan.group, version: plan.version, force: o.force, batch: o.batch, planned: plan.batches.flat().map((t) => t.instance.instanceId), others: plan.current.map((i) => i.instanceId), nodes: [] };
}

/**
 * Runs `plan`. Never throws for a gate or step that says no (the outcome says it, and
 * `record.stopped`); rejects only for a bug.
 * @param record filled as it goes; `emit({kind:'record'})` says when to write it.
 */
export async function runRoll(
  planned: RollPlan,
  ports: RollPorts,
  settings: RollSettings,
  record: RollRecord,
  emit: (e: RollEvent) => void,
  control: RollControl = new RollControl(),
  signal?: AbortSignal,
  resume?: RollResume,
): Promise<RollOutcome> {
  let plan = planned;
  const secure = plan.layer === 'secure';
  const replaced: RollOutcome['replaced'] = [];
  const now = () => new Date().toISOString();
  let current: { instanceId?: string; step: string } = { step: 'gates' };

  const nodeRec = (i: GroupInstance): RollNodeRecord => {
    let n = record.nodes.find((x) => x.instanceId === i.instanceId);
    if (!n) {
      n = { instanceId: i.instanceId, availabilityZone: i.availabilityZone, steps: [] };
      record.nodes.push(n);
    }
    return n;
  };
  const step = (i: GroupInstance, name: string, state: 'running' | 'succeeded' | 'failed' | 'skipped', detail: string) => {
    current = { instanceId: i.instanceId, step: name };
    emit({ kind: 'step', instanceId: i.instanceId, step: name, state, detail });
    if (state !== 'running') {
      nodeRec(i).steps.push({ step: name, result: state, at: now(), ...(detail ? { detail } : {}) });
      emit({ kind: 'record' });
    }
  };
  const fail = (reason: string, instanceId?: string): RollOutcome => {
    record.stopped = { step: current.step, ...(instanceId ?? current.instanceId ? { instanceId: instanceId ?? current.instanceId } : {}), reason };
    emit({ kind: 'record' });
    return { outcome: 'failed', replaced, reason };
  };
  const gate = (name: 'capacity' | 'cluster' | 'etcd', r: GateResult) => {
    emit({ kind: 'gate', name, ok: r.ok, detail: r.detail });
    return r.ok;
  };

  /** The etcd members and health, asked on a control-plane instance not in `except`. */
  const etcdState = async (group: NodeGroup, except: readonly string[]): Promise<{ members: EtcdMember[]; gate: GateResult }> => {
    const on = group.instances.filter((i) => !except.includes(i.instanceId) && i.lifecycleState === 'InService');
    const list = await ports.etcd!(ETCD_COMMANDS.members, on, signal);
    if (list.code !== 0) throw new RollError(`etcdctl member list failed on ${list.instanceId} (exit ${list.code}): ${(list.stderr || list.stdout).trim().split('\n')[0] ?? ''}`, 'look at etcd on the control plane (kubectl -n kube-system logs etcd-NODE)');
    const members = parseMemberList(list.stdout);
    const h = await ports.etcd!(ETCD_COMMANDS.health, on, signal);
    // endpoint health exits 1 when an endpoint is unhealthy, and still prints its JSON.
    let health;
    try {
      health = parseEndpointHealth(h.stdout);
    } catch {
      throw new RollError(`etcdctl endpoint health failed on ${h.instanceId} (exit ${h.code}): ${(h.stderr || h.stdout).trim().split('\n')[0] ?? ''}`, 'look at etcd on the control plane');
    }
    return { members, gate: etcdGate(members, health, group.desired) };
  };

  const waitFor = async <T>(what: string, look: () => Promise<T | undefined>): Promise<T> => {
    const deadline = Date.now() + settings.replaceTimeoutMs;
    for (;;) {
      signal?.throwIfAborted();
      const v = await look();
      if (v !== undefined) return v;
      if (Date.now() + settings.pollMs > deadline) throw new RollError(`${what}: not within ${Math.round(settings.replaceTimeoutMs / 1000)} s`, 'look at the instance (its console output, the bootstrap log /var/log/cloud-init-output.log), then resume (:roll)');
      await sleep(settings.pollMs, undefined, signal ? { signal } : {});
    }
  };

  /**
   * After `olds` were terminated (`before`: the group's instances then): waits for their
   * replacements to be InService, (control plane) attached, Ready and (control plane) etcd members.
   * @returns the failed outcome, or undefined when all came.
   */
  const replacements = async (olds: readonly GroupInstance[], before: ReadonlySet<string>, group: NodeGroup): Promise<RollOutcome | undefined> => {
    const fresh = await waitFor(`${olds.length} replacement${olds.length === 1 ? '' : 's'} InService in ${group.name}`, async () => {
      const g = await ports.readGroup(signal);
      const news = g.instances.filter((x) => !before.has(x.instanceId));
      const ready = news.filter((x) => x.lifecycleState === 'InService' && x.healthStatus === 'Healthy');
      return ready.length >= olds.length && blockersOf(g).length === 0 ? ready : undefined;
    });
    // Pair each old instance with a replacement, of its own zone first.
    const pool = [...fresh];
    for (const i of olds) {
      const k = Math.max(0, pool.findIndex((x) => x.availabilityZone === i.availabilityZone));
      const r = pool.splice(k, 1)[0]!;
      nodeRec(i).replacement = r.instanceId;
      replaced.push({ from: i.instanceId, to: r.instanceId, verified: false });
      step(i, 'replaced', 'succeeded', `${r.instanceId} InService in ${r.availabilityZone} (version ${r.launchTemplateVersion ?? '?'})`);
    }
    for (const i of olds) {
      const r = fresh.find((x) => x.instanceId === nodeRec(i).replacement)!;
      try {
        if (secure) {
          step(i, 'attached', 'running', `waiting for ${r.instanceId} to attach the etcd volume and network interface of ${r.availabilityZone}`);
          const slot = await waitFor(`${r.instanceId} attaching the etcd volume and network interface of ${r.availabilityZone}`, async () => {
            const s = await ports.slotOf(r.instanceId, r.availabilityZone);
            return s.volume && s.networkInterface ? s : undefined;
          });
          step(i, 'attached', 'succeeded', `${r.instanceId} holds ${slot.volume} and ${slot.networkInterface}`);
        }
        step(i, 'ready', 'running', `waiting for ${r.instanceId} to be a Ready node`);
        const node = await waitFor(`${r.instanceId} a Ready Kubernetes node`, async () => {
          // Its addresses as they are now: a control-plane node gains its slot interface's at boot.
          const now = (await ports.readGroup(signal)).instances.find((x) => x.instanceId === r.instanceId) ?? r;
          const n = await ports.nodeOf(now);
          return n?.ready ? n : undefined;
        });
        step(i, 'ready', 'succeeded', `${node.name} Ready`);
        if (secure) {
          step(i, 'etcd-member', 'running', `waiting for ${r.instanceId} to be an etcd member, all members healthy`);
          const ips = async () => (await ports.readGroup(signal)).instances.find((x) => x.instanceId === r.instanceId)?.privateIps ?? r.privateIps;
          const st = await waitFor(`${r.instanceId} an etcd member with all ${group.desired} members healthy`, async () => {
            const s = await etcdState(await ports.readGroup(signal), []);
            const m = memberAt(s.members, await ips());
            return m && m.status === 'started' && s.gate.ok ? { m, s } : undefined;
          });
          step(i, 'etcd-member', 'succeeded', `member ${st.m.id} (${st.m.name}); ${st.s.gate.detail}`);
        }
        const pair = replaced.find((x) => x.from === i.instanceId);
        if (pair) pair.verified = true;
      } catch (err) {
        if (!(err instanceof RollError)) throw err;
        step(i, current.step, 'failed', err.message);
        return fail(err.message, i.instanceId);
      }
    }
    return undefined;
  };

  /**
   * The node an earlier roll left half-done: as the world is now, not only as its record says (the
   * record may lag the last call before a kill -9). Its instance gone: wait for the replacement.
   * Still there with its etcd member removed: terminate it, then wait. Still there and whole: the
   * plan rolls it as any other node.
   */
  const resumeNode = async (r: RollResume): Promise<{ stop?: RollOutcome; handled: boolean }> => {
    const group = await ports.readGroup(signal);
    const found = group.instances.find((i) => i.instanceId === r.instanceId);
    // An instance being terminated (AWS lists it a while as Terminating) is gone for this purpose.
    const live = found && found.lifecycleState === 'InService' ? found : undefined;
    const old: GroupInstance = found ?? { instanceId: r.instanceId, availabilityZone: r.availabilityZone, lifecycleState: 'Terminated', healthStatus: '', privateIps: [] };
    current = { instanceId: r.instanceId, step: 'resume' };
    // Recorded at once: a roll that stops in here leaves this node as its last, for the next to resume.
    nodeRec(old);
    emit({ kind: 'record' });
    if (live) {
      if (!secure) return { handled: false };
      const { members } = await etcdState(group, [r.instanceId]);
      if (memberAt(members, live.privateIps)) return { handled: false };
      if (!r.memberRemoved) {
        const why = `the etcd member of ${r.instanceId} is missing, though the earlier roll did not record removing it: look at etcd (member list) before anything goes; ${r.instanceId} was not terminated`;
        step(old, 'resume', 'failed', why);
        return { stop: fail(why, r.instanceId), handled: true };
      }
      step(old, 'resume', 'succeeded', `the earlier roll removed the etcd member of ${r.instanceId} and stopped before its termination: terminating it now`);
      step(old, 'terminate', 'running', `terminate ${r.instanceId} (capacity kept)`);
      await ports.terminate(r.instanceId);
      step(old, 'terminate', 'succeeded', `${r.instanceId} terminated; ${group.name} launches its replacement`);
      return { stop: await replacements([old], new Set(group.instances.map((i) => i.instanceId)), group), handled: true };
    }
    step(old, 'resume', 'succeeded', `the earlier roll terminated ${r.instanceId} before it stopped: waiting for its replacement`);
    return { stop: await replacements([old], new Set([...r.known, r.instanceId]), group), handled: true };
  };

  try {
    if (resume) {
      const r = await resumeNode(resume);
      if (r.stop) return r.stop;
      // Finished here: not again in the plan.
      if (r.handled) plan = { ...plan, batches: plan.batches.map((b) => b.filter((t) => t.instance.instanceId !== resume.instanceId)).filter((b) => b.length) };
    }
    for (const [index, batch] of plan.batches.entries()) {
      if (await control.checkpoint(() => emit({ kind: 'paused' }), () => emit({ kind: 'resumed' }))) {
        record.stopped = { step: 'aborted', reason: `aborted by the operator after ${index} of ${plan.batches.length} batch${plan.batches.length === 1 ? '' : 'es'}` };
        emit({ kind: 'record' });
        return { outcome: 'aborted', replaced, reason: record.stopped.reason };
      }
      const ids = batch.map((t) => t.instance.instanceId);
      emit({ kind: 'batch', index, of: plan.batches.length, instanceIds: ids });
      current = { step: 'gates' };

      // Gates.
      const group = await ports.readGroup(signal);
      const missing = ids.filter((id) => !group.instances.some((i) => i.instanceId === id));
      if (missing.length) return fail(`${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} no longer in ${group.name}: plan the roll again (:roll)`);
      const blockers = blockersOf(group);
      if (!gate('capacity', blockers.length ? { ok: false, detail: blockers.join('; ') } : { ok: true, detail: `${group.instances.length} of ${group.desired} instances InService and Healthy` })) {
        return fail(`the capacity gate: ${blockers.join('; ')}`);
      }
      const cg = await ports.clusterGate();
      if (!gate('cluster', cg)) return fail(`the cluster gate: ${cg.detail}`);
      let members: EtcdMember[] = [];
      if (secure) {
        const st = await etcdState(group, []);
        if (!gate('etcd', st.gate)) return fail(`the etcd gate: ${st.gate.detail}`);
        members = st.members;
      }

      // Drain each node of the batch.
      const before = new Set(group.instances.map((i) => i.instanceId));
      for (const t of batch) {
        const i = t.instance;
        const node = await ports.nodeOf(i);
        if (!node) {
          const why = `${i.instanceId} is no Kubernetes node (no node has its providerID or one of its addresses, ${i.privateIps.join(', ') || 'none'}): the roll stops before touching it`;
          step(i, 'drain', 'failed', why);
          return fail(why, i.instanceId);
        }
        nodeRec(i).node = node.name;
        step(i, 'drain', 'running', `cordon and drain ${node.name}`);
        try {
          const r = await ports.drain(node.name, { timeoutMs: settings.drainTimeoutMs, disableEviction: settings.disableEviction, retryMs: Math.min(5_000, settings.pollMs), ...(signal ? { signal } : {}), onProgress: (text) => emit({ kind: 'step', instanceId: i.instanceId, step: 'drain', state: 'running', detail: text }) });
          step(i, 'drain', 'succeeded', `${node.name}: ${r.evicted.length} pod${r.evicted.length === 1 ? '' : 's'} ${settings.disableEviction ? 'deleted' : 'evicted'}, ${r.skipped.length} left (static, DaemonSet, ended)`);
        } catch (err) {
          if (!(err instanceof RollError)) throw err;
          step(i, 'drain', 'failed', err.message);
          return fail(err.message, i.instanceId);
        }
      }

      // The control plane: the node's etcd member goes before the instance does.
      if (secure) {
        for (const t of batch) {
          const i = t.instance;
          const m = memberAt(members, i.privateIps);
          if (!m) {
            const why = `no etcd member of the ${members.length} is at an address of ${i.instanceId} (${i.privateIps.join(', ') || 'none known'}): the roll stops; ${i.instanceId} was drained, not terminated`;
            step(i, 'etcd-remove', 'failed', why);
            return fail(why, i.instanceId);
          }
          step(i, 'etcd-remove', 'running', `remove member ${m.id} (${m.name || m.peerUrls.join(',')})`);
          const r = await ports.etcd!(ETCD_COMMANDS.remove(m.id), group.instances.filter((x) => !ids.includes(x.instanceId)), signal);
          if (r.code !== 0) {
            const why = `etcdctl member remove ${m.id} failed on ${r.instanceId} (exit ${r.code}): ${(r.stderr || r.stdout).trim().split('\n')[0] ?? ''}`;
            step(i, 'etcd-remove', 'failed', why);
            return fail(why, i.instanceId);
          }
          step(i, 'etcd-remove', 'succeeded', `member ${m.id} (${m.name}) removed, on ${r.instanceId}`);
        }
      }

      // Terminate, the capacity kept: the group launches the replacements.
      for (const t of batch) {
        const i = t.instance;
        step(i, 'terminate', 'running', `terminate ${i.instanceId} (capacity kept)`);
        await ports.terminate(i.instanceId);
        // No cloud controller deletes a terminated instance's node object: a NotReady node would fail the next gate.
        const node = nodeRec(i).node;
        if (node) await ports.deleteNode(node);
        step(i, 'terminate', 'succeeded', `${i.instanceId} terminated${node ? ` and its node object ${node} deleted` : ''}; ${group.name} launches its replacement`);
      }

      const stop = await replacements(batch.map((t) => t.instance), before, group);
      if (stop) return stop;
      if (settings.settleMs > 0 && index < plan.batches.length - 1) {
        for (const t of batch) step(t.instance, 'settle', 'running', `settling ${Math.round(settings.settleMs / 1000)} s`);
        await sleep(settings.settleMs, undefined, signal ? { signal } : {});
        for (const t of batch) step(t.instance, 'settle', 'succeeded', `${Math.round(settings.settleMs / 1000)} s`);
      }
    }
    return { outcome: 'succeeded', replaced };
  } catch (err) {
    if (signal?.aborted) {
      record.stopped = { step: current.step, ...(current.instanceId ? { instanceId: current.instanceId } : {}), reason: 'interrupted' };
      emit({ kind: 'record' });
      return { outcome: 'interrupted', replaced, reason: `interrupted during ${current.step}${current.instanceId ? ` of ${current.instanceId}` : ''}` };
    }
    if (err instanceof Error && 'hint' in err) return fail((err as Error).message);
    throw err;
  }
}
