// The rows of the Cluster pane are pure and shared with the UI: they live in core.
export * from '../../core/kube-rows.js';
