/**
 * The load balancers of one environment, for the Load balancers pane and `--ci elbs`: classic
 * ELBs (the kube API's public and internal ELBs of terraform/modules/elb) and ELBv2
 * (application, network, gateway), each with its listeners and its targets' health.
 * Plain TypeScript, no Ink.
 *
 * A load balancer belongs to an environment by its `Environment` tag (the provider's
 * `default_tags`). The describe APIs of both services cannot filter by tag, so every load
 * balancer of the region is listed (one cheap paginated call) and the tags are read in batches
 * of 20 (the APIs' limit); only then are the per-balancer calls made, for this environment's.
 */
import {
  DescribeInstanceHealthCommand,
  DescribeTagsCommand as DescribeClassicTagsCommand,
  ElasticLoadBalancingClient,
  paginateDescribeLoadBalancers as paginateClassic,
  type LoadBalancerDescription,
  type TagDescription as ClassicTagDescription,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  DescribeTagsCommand as DescribeV2TagsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  paginateDescribeListeners,
  paginateDescribeLoadBalancers as paginateV2,
  paginateDescribeTargetGroups,
  type Action,
  type Listener,
  type LoadBalancer,
  type TagDescription as V2TagDescription,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';

import { mapLimit } from '../../core/concurrency.js';
import { clientConfig, type AwsContext } from './context.js';
import { inventoryError, type AwsCallOptions } from './instances.js';

/** One target of a load balancer (a registered instance, IP or Lambda) and its health. */
export interface LoadBalancerTarget {
  /** Instance id (`i-…`), IP address or Lambda ARN. */
  id: string;
  /** The target's port (ELBv2); classic ELBs register instances without a port. */
  port?: number;
  /**
   * As AWS reports it. Classic: `InService`, `OutOfService`, `Unknown`. ELBv2: `healthy`,
   * `unhealthy`, `unused`, `draining`, `initial`, `unavailable`, `unhealthy.draining`.
   */
  state: string;
  /** True only for `InService` / `healthy`. */
  healthy: boolean;
  /** AWS's reason code and description, e.g. `Target.InvalidState: Target is in the stopped state`. */
  reason?: string;
  /** The ELBv2 target group's name; none for classic ELBs. */
  group?: string;
}

/** One row of the Load balancers table. */
export interface LoadBalancerRow {
  kind: 'classic' | 'application' | 'network' | 'gateway';
  name: string;
  /** '' for gateway load balancers (they have none). */
  dnsName: string;
  /** `internet-facing` or `internal`. */
  scheme: string;
  /**
   * `PROTOCOL:PORT→TARGET`: classic `TCP:443→TCP:6443`; ELBv2 `HTTP:80→HTTP:8080` (the forward
   * target group's protocol and port; several groups joined by `,`), or the action type
   * (`HTTPS:443→redirect`, `HTTP:80→fixed-response`).
   */
  listeners: string[];
  /** Every target, sorted by target group then id. */
  targets: LoadBalancerTarget[];
  /** Targets with `healthy: true`. */
  healthy: number;
  /**
   * Targets that are not healthy and not merely in transition: everything but `healthy`,
   * `initial`, `draining` and classic `Unknown` (so `unused` counts: a stopped instance, or a
   * target group no listener uses, receives no traffic).
   */
  unhealthy: number;
  /** The ELBv2 ARN; classic ELBs have none. */
  arn?: string;
  /** ELBv2 provisioning state (`active`, `provisioning`, `failed` …); none for classic. */
  state?: string;
}

/** Per-balancer calls run with this many at once by default. */
export const DEFAULT_LB_CONCURRENCY = 4;
/** Page size of DescribeLoadBalancers (both APIs' maximum). */
const LB_PAGE_SIZE = 400;
/** DescribeTags takes at most 20 names (classic) or ARNs (ELBv2) per call. */
const TAG_BATCH = 20;
const TRANSITIONAL = new Set(['initial', 'draining', 'Unknown']);

function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** A "this balancer/group went away between two calls" error (a destroy running beside the pane). */
function isNotFound(err: unknown): boolean {
  return /NotFound/.test((err as { name?: string })?.name ?? '');
}

function withCounts(row: Omit<LoadBalancerRow, 'healthy' | 'unhealthy'>): LoadBalancerRow {
  let healthy = 0;
  let unhealthy = 0;
  for (const t of row.targets) {
    if (t.healthy) healthy++;
    else if (!TRANSITIONAL.has(t.state)) unhealthy++;
  }
  return { ...row, healthy, unhealthy };
}

function reasonOf(code: string | undefined, description: string | undefined): string | undefined {
  if (code && description && description !== code) return `${code}: ${description}`;
  return code || description || undefined;
}

/**
 * Tags of a set of resources, batched by 20. When a batch fails because one of its resources
 * was deleted meanwhile, that batch is asked again one by one and the deleted ones are left out.
 */
async function tagsInBatches<D>(
  keys: readonly string[],
  limit: number,
  describe: (batch: string[]) => Promise<D[]>,
): Promise<D[]> {
  const batches = await mapLimit(chunks(keys, TAG_BATCH), limit, async (batch) => {
    try {
      return await describe(batch);
    } catch (err) {
      if (!isNotFound(err) || batch.length === 1) {
        if (isNotFound(err)) return [];
        throw err;
      }
      const one = await mapLimit(batch, limit, async (k) => {
        try {
          return await describe([k]);
        } catch (e) {
          if (isNotFound(e)) return [];
          throw e;
        }
      });
      return one.flat();
    }
  });
  return batches.flat();
}

function hasEnvironment(tags: { Key?: string; Value?: string }[] | undefined, env: string): boolean {
  return !!tags?.some((t) => t.Key === 'Environment' && t.Value === env);
}

async function listClassic(ctx: AwsContext, opts: LoadBalancerOptions, limit: number): Promise<LoadBalancerRow[]> {
  const client = new ElasticLoadBalancingClient({ ...clientConfig(ctx), ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}) });
  const call = { abortSignal: opts.signal };
  try {
    const all: LoadBalancerDescription[] = [];
    for await (const page of paginateClassic({ client, pageSize: LB_PAGE_SIZE }, {}, call)) all.push(...(page.LoadBalancerDescriptions ?? []));
    const names = all.map((d) => d.LoadBalancerName ?? '').filter(Boolean);
    const tagged = await tagsInBatches<ClassicTagDescription>(names, limit, async (batch) => {
      const r = await client.send(new DescribeClassicTagsCommand({ LoadBalancerNames: batch }), call);
      return r.TagDescriptions ?? [];
    });
    const mine = new Set(tagged.filter((t) => hasEnvironment(t.Tags, ctx.environment)).map((t) => t.LoadBalancerName));
    const rows = await mapLimit(
      all.filter((d) => mine.has(d.LoadBalancerName)),
      limit,
      async (d): Promise<LoadBalancerRow | undefined> => {
        const name = d.LoadBalancerName ?? '';
        let states;
        try {
          states = (await client.send(new DescribeInstanceHealthCommand({ LoadBalancerName: name }), call)).InstanceStates ?? [];
        } catch (err) {
          if (isNotFound(err)) return undefined;
          throw err;
        }
        const targets: LoadBalancerTarget[] = states.map((s) => {
          const state = s.State ?? 'Unknown';
          const reason = s.ReasonCode && s.ReasonCode !== 'N/A' ? reasonOf(s.ReasonCode, s.Description) : s.Description && s.Description !== 'N/A' ? s.Description : undefined;
          return { id: s.InstanceId ?? '', state, healthy: state === 'InService', ...(reason ? { reason } : {}) };
        });
        targets.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        return withCounts({
          kind: 'classic',
          name,
          dnsName: d.DNSName ?? '',
          scheme: d.Scheme ?? '',
          listeners: (d.ListenerDescriptions ?? []).map(({ Listener: l }) =>
            `${l?.Protocol ?? '?'}:${l?.LoadBalancerPort ?? '?'}→${l?.InstanceProtocol ?? l?.Protocol ?? '?'}:${l?.InstancePort ?? '?'}`,
          ),
          targets,
        });
      },
    );
    return rows.filter((r): r is LoadBalancerRow => r !== undefined);
  } finally {
    client.destroy();
  }
}

function actionText(a: Action, groups: Map<string, TargetGroup>): string {
  const arns = a.ForwardConfig?.TargetGroups?.map((g) => g.TargetGroupArn ?? '').filter(Boolean) ?? (a.TargetGroupArn ? [a.TargetGroupArn] : []);
  if (a.Type === 'forward' && arns.length) {
    return arns
      .map((arn) => {
        const g = groups.get(arn);
        if (!g) return arn.split('/').at(-2) ?? arn;
        return g.Protocol && g.Port !== undefined ? `${g.Protocol}:${g.Port}` : (g.TargetGroupName ?? arn);
      })
      .join(',');
  }
  return a.Type ?? '?';
}

function listenerText(l: Listener, groups: Map<string, TargetGroup>): string {
  const from = [l.Protocol, l.Port].filter((x) => x !== undefined).join(':') || '?';
  // The default action that decides where traffic goes: authenticate-* actions come first.
  const actions = [...(l.DefaultActions ?? [])].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0));
  const last = actions.at(-1);
  return `${from}→${last ? actionText(last, groups) : '?'}`;
}

async function listV2(ctx: AwsContext, opts: LoadBalancerOptions, limit: number): Promise<LoadBalancerRow[]> {
  const client = new ElasticLoadBalancingV2Client({ ...clientConfig(ctx), ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}) });
  const call = { abortSignal: opts.signal };
  try {
    const all: LoadBalancer[] = [];
    for await (const page of paginateV2({ client, pageSize: LB_PAGE_SIZE }, {}, call)) all.push(...(page.LoadBalancers ?? []));
    const arns = all.map((d) => d.LoadBalancerArn ?? '').filter(Boolean);
    const tagged = await tagsInBatches<V2TagDescription>(arns, limit, async (batch) => {
      const r = await client.send(new DescribeV2TagsCommand({ ResourceArns: batch }), call);
      return r.TagDescriptions ?? [];
    });
    const mine = new Set(tagged.filter((t) => hasEnvironment(t.Tags, ctx.environment)).map((t) => t.ResourceArn));
    const rows = await mapLimit(
      all.filter((d) => mine.has(d.LoadBalancerArn)),
      limit,
      async (d): Promise<LoadBalancerRow | undefined> => {
        const arn = d.LoadBalancerArn ?? '';
        try {
          const listeners: Listener[] = [];
          for await (const page of paginateDescribeListeners({ client, pageSize: LB_PAGE_SIZE }, { LoadBalancerArn: arn }, call)) listeners.push(...(page.Listeners ?? []));
          const groups: TargetGroup[] = [];
          try {
            for await (const page of paginateDescribeTargetGroups({ client, pageSize: LB_PAGE_SIZE }, { LoadBalancerArn: arn }, call)) groups.push(...(page.TargetGroups ?? []));
          } catch (err) {
            // moto answers TargetGroupNotFound for a balancer without groups (AWS: an empty list).
            if ((err as { name?: string }).name !== 'TargetGroupNotFoundException') throw err;
          }
          const byArn = new Map(groups.map((g) => [g.TargetGroupArn ?? '', g]));
          // Groups one after the other: the balancers already run `limit` at once.
          const perGroup = await mapLimit(groups, 1, async (g) => {
            let health;
            try {
              health = (await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: g.TargetGroupArn }), call)).TargetHealthDescriptions ?? [];
            } catch (err) {
              if (isNotFound(err)) return [];
              throw err;
            }
            return health.map((h): LoadBalancerTarget => {
              const state = h.TargetHealth?.State ?? 'unknown';
              const reason = reasonOf(h.TargetHealth?.Reason, h.TargetHealth?.Description);
              return {
                id: h.Target?.Id ?? '',
                ...(h.Target?.Port !== undefined ? { port: h.Target.Port } : {}),
                state,
                healthy: state === 'healthy',
                ...(reason ? { reason } : {}),
                ...(g.TargetGroupName ? { group: g.TargetGroupName } : {}),
              };
            });
          });
          const targets = perGroup.flat();
          targets.sort((a, b) => {
            const ga = a.group ?? '';
            const gb = b.group ?? '';
            if (ga !== gb) return ga < gb ? -1 : 1;
            return a.id < b.id ? -1 : a.id > b.id ? 1 : (a.port ?? 0) - (b.port ?? 0);
          });
          listeners.sort((a, b) => (a.Port ?? 0) - (b.Port ?? 0));
          return withCounts({
            kind: (d.Type ?? 'application') as LoadBalancerRow['kind'],
            name: d.LoadBalancerName ?? '',
            dnsName: d.DNSName ?? '',
            scheme: d.Scheme ?? '',
            listeners: listeners.map((l) => listenerText(l, byArn)),
            targets,
            arn,
            ...(d.State?.Code ? { state: d.State.Code } : {}),
          });
        } catch (err) {
          if (isNotFound(err)) return undefined;
          throw err;
        }
      },
    );
    return rows.filter((r): r is LoadBalancerRow => r !== undefined);
  } finally {
    client.destroy();
  }
}

/** Options of {@link listLoadBalancers}. */
export interface LoadBalancerOptions extends AwsCallOptions {
  /** At most this many per-balancer (and tag batch) calls in flight per API (default 4). */
  concurrency?: number;
}

/**
 * Every load balancer of `ctx.environment`: classic ELBs and ELBv2, sorted by name then kind.
 *
 * Classic: DescribeLoadBalancers (paginated), DescribeTags in batches of 20 to keep those tagged
 * `Environment = ctx.environment`, then DescribeInstanceHealth per ELB. ELBv2: DescribeLoadBalancers
 * (paginated), DescribeTags in batches of 20, then per balancer DescribeListeners,
 * DescribeTargetGroups (its groups) and DescribeTargetHealth per group. Both APIs are asked at the
 * same time; per API, at most `concurrency` balancers are described at once (their target groups
 * one after the other). A balancer or group deleted
 * between two calls (a destroy under way) is left out rather than failing the listing.
 *
 * @throws AwsError or CredentialsError ("listing load balancers: …", through toAwsError): denied,
 *   throttled, unreachable endpoint (also for `signal` = `AbortSignal.timeout()`), or aborted.
 */
export async function listLoadBalancers(ctx: AwsContext, opts: LoadBalancerOptions = {}): Promise<LoadBalancerRow[]> {
  const limit = Math.max(1, opts.concurrency ?? DEFAULT_LB_CONCURRENCY);
  // When one API fails, the other's calls are abandoned too.
  const both = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, both.signal]) : both.signal;
  const inner = { ...opts, signal };
  const fail = (err: unknown): never => {
    both.abort();
    throw err;
  };
  try {
    const [classic, v2] = await Promise.all([listClassic(ctx, inner, limit).catch(fail), listV2(ctx, inner, limit).catch(fail)]);
    const rows = [...classic, ...v2];
    return rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
  } catch (err) {
    throw inventoryError(err, 'listing load balancers', ctx, opts.signal);
  }
}
