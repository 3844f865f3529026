/** The panes of the console, in tab and number-key order: ids, titles and the `:` words that show them. Plain data. */
export const PANE_LIST = [
  { id: 'plan', title: 'Plan/Apply', words: ['pa'] },
  { id: 'instances', title: 'Instances', words: ['instances'] },
  { id: 'elbs', title: 'Load balancers', words: ['elbs', 'lb'] },
  { id: 'secrets', title: 'Secrets', words: ['secrets'] },
  { id: 'cluster', title: 'Cluster', words: ['cluster'] },
  { id: 'history', title: 'History', words: ['history'] },
  { id: 'state', title: 'State', words: ['state'] },
  { id: 'roll', title: 'Roll', words: [] },
] as const;

/** A pane's id. */
export type PaneId = (typeof PANE_LIST)[number]['id'];
