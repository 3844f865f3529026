/** The Secrets pane's actions (and its viewer's): open, refresh, reveal, edit, fetch, upload, the whole tree. */
import type { ActionDef } from '../../ui/keys/action.js';

export const SECRETS_ACTIONS: readonly ActionDef[] = [
  { id: 'secrets.open', keys: ['Enter', 'Right'], scope: 'secrets', label: 'open', description: 'open or close a folder; view an object or parameter (masked until r)', statusBar: true, run: (c) => void c.controller.aws?.secrets.enter() },
  { id: 'secrets.refresh', keys: ['r'], scope: 'secrets', label: 'refresh', description: 'refresh the listing of the bucket and the parameters', statusBar: true, run: (c) => c.controller.aws?.secrets.refresh() },
  { id: 'secrets.edit', keys: ['e'], scope: 'secrets', label: 'edit', description: 'edit the object in $EDITOR (the console hands over the terminal), then upload it with SSE-KMS; refused if it changed meanwhile', statusBar: true, run: (c) => void c.controller.aws?.secrets.edit() },
  { id: 'secrets.fetch', keys: ['f'], scope: 'secrets', label: 'fetch', description: 'fetch the object to secrets/KEY under the current directory, mode 0600', statusBar: true, run: (c) => void c.controller.aws?.secrets.fetch() },
  { id: 'secrets.upload', keys: ['u'], scope: 'secrets', label: 'upload', description: 'upload a local file into the selected folder, with SSE-KMS', statusBar: true, run: (c) => c.controller.aws?.secrets.askUpload() },
  { id: 'secrets.fetch-tree', keys: ['F'], command: { words: ['fetch-secrets'] }, scope: 'secrets', label: 'fetch all', description: 'fetch the whole bucket into secrets/ (lists what differs first, then does exactly that; old alias fetch-secrets)', dangerous: true, run: (c) => void c.controller.aws?.secrets.askTree('fetch') },
  { id: 'secrets.upload-tree', keys: ['U'], command: { words: ['upload-secrets'] }, scope: 'secrets', label: 'upload all', description: 'upload secrets/ to the bucket (lists what differs first, then does exactly that; old alias upload-secrets)', dangerous: true, run: (c) => void c.controller.aws?.secrets.askTree('upload') },
  { id: 'secret.reveal', keys: ['r'], scope: 'overlay:secret', label: 'reveal/mask', description: 'reveal or mask the value (the secret viewer)', statusBar: true, run: (c) => c.controller.aws?.secrets.reveal() },
  { id: 'secret.edit', keys: ['e'], scope: 'overlay:secret', label: 'edit', description: 'edit the object in $EDITOR (the secret viewer)', statusBar: true, run: (c) => void c.controller.aws?.secrets.edit() },
  { id: 'secret.fetch', keys: ['f'], scope: 'overlay:secret', label: 'fetch', description: 'fetch the object to secrets/KEY, mode 0600 (the secret viewer)', statusBar: true, run: (c) => void c.controller.aws?.secrets.fetch() },
  { id: 'secret.close', keys: ['Esc', 'q'], scope: 'overlay:secret', label: 'close', description: 'close the secret viewer: the value is dropped from memory', statusBar: true, run: (c) => c.controller.aws?.secrets.closeView() },
];
