/** The Load balancers pane's controller: the polled list (classic and v2), sorting, the details of one on Enter. */
import type { AwsContext } from '../../services/aws/context.js';
import { listLoadBalancers, type LoadBalancerRow } from '../../services/aws/load-balancers.js';
import { listSort } from '../../state/list-slice.js';
import { PolledList } from '../../state/polled-list.js';
import type { Store } from '../../state/store.js';
import { ELB_SORT_KEYS, visibleElbs } from './slice.js';

/** The Load balancers pane's controller. */
export class ElbsController {
  private readonly list: PolledList<LoadBalancerRow>;

  constructor(
    private readonly store: Store,
    ctx: AwsContext,
    refreshMs?: number,
  ) {
    this.list = new PolledList(store, (s) => s.elbs, (signal) => listLoadBalancers(ctx, { signal }), refreshMs);
  }

  /** The pane is shown: polling starts the first time. */
  activate(): void {
    this.list.start();
  }

  /** `r`: fetch now. */
  refresh(): void {
    this.list.refresh();
  }

  /** `<` `>` `!`: the sort column or direction. */
  sort(change: 1 | -1 | 'reverse'): void {
    this.store.update((s) => {
      listSort(s.elbs, ELB_SORT_KEYS, change);
      s.selected = 0;
    });
  }

  /** `Enter`: listeners and every target with its health. */
  enter(): void {
    const s = this.store.state;
    const row = visibleElbs(s)[s.selected];
    if (!row) return;
    const lines = [
      `${row.kind} load balancer ${row.name}  (${row.scheme})`,
      `DNS name ${row.dnsName}`,
      ...(row.arn ? [`ARN ${row.arn}`] : []),
      '',
      'listeners:',
      ...row.listeners.map((l) => `  ${l}`),
      '',
      `targets (${row.healthy} healthy, ${row.unhealthy} unhealthy):`,
      ...row.targets.map((t) => `  ${t.healthy ? '✓' : '✗'} ${t.id}${t.port ? `:${t.port}` : ''}  ${t.state}${t.reason ? `  (${t.reason})` : ''}`),
    ];
    this.store.open({ kind: 'details', title: row.name, lines, scroll: Number.MAX_SAFE_INTEGER });
  }

  /** Stops polling (on quit). */
  stop(): void {
    this.list.stop();
  }
}
