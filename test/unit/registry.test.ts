// The one registry of key actions: every listed key reaches its action in the state where it is
// listed (so help and the status bar cannot disagree with the keys), no key is bound twice in a
// scope, every : command word parses to its action, completion, and the generated help.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../src/core/paths.js';
import { describe, it } from 'node:test';
import { PANE_LIST } from '../../src/panes/ids.js';
import type { Controller } from '../../src/state/controller.js';
import { Store, type AppState, type Overlay } from '../../src/state/store.js';
import type { ActionContext, ActionDef, Scope } from '../../src/ui/keys/action.js';
import { press } from '../../src/ui/keys/input.js';
import { ACTIONS, commandWords, complete, completions, consoleUsage, helpLines, keyTableMarkdown, lookup, parseCommand, statusBarActions } from '../../src/ui/keys/registry.js';

/** A controller that records every call (nested controllers too) and does nothing else. */
function recorder(calls: string[], root = 'controller'): Controller {
  const make = (path: string): unknown =>
    new Proxy(function () {}, {
      get: (_t, p) => (p === 'then' ? undefined : make(`${path}.${String(p)}`)),
      apply: () => {
        calls.push(path);
        return undefined;
      },
    });
  return make(root) as Controller;
}

const HEADER = { environment: 'reg', account: '1', region: 'eu-west-1', backend: 'b', engine: 't', credentials: 'c' };

/** Overlays to put on top for an overlay scope (a y/N and a typed question both tried). */
function overlaysFor(scope: Scope): Overlay[] {
  const q = { kind: 'confirm' as const, action: 'test', input: '', prompt: 'sure?', onYes: () => {} };
  switch (scope) {
    case 'overlay:confirm':
      return [{ ...q, typed: false }, { ...q, typed: true, expect: 'reg' }];
    case 'overlay:prompt':
      return [{ kind: 'prompt', label: 'path:', hint: '', input: 'x', onSubmit: () => {} }];
    case 'overlay:command':
      return [{ kind: 'command', input: 'help' }];
    case 'overlay:filter':
      return [{ kind: 'filter', input: 'x' }];
    case 'overlay:view':
      return [{ kind: 'details', title: 't', lines: ['a'], scroll: 0 }];
    case 'overlay:details':
      return [{ kind: 'details', title: 't', lines: ['a'], scroll: 0 }];
    default: {
      const kind = scope.slice('overlay:'.length) as 'help';
      return [{ kind, scroll: 0 }];
    }
  }
}

/** States in which an action of `scope` is meant to work. */
function statesFor(scope: Scope): AppState[] {
  const fresh = () => new Store(HEADER).state;
  if (scope === 'fleet') return [new Store(HEADER, 16, 'fleet').state];
  if (scope === 'global') return PANE_LIST.map((p) => Object.assign(fresh(), { pane: p.id }));
  if (!scope.startsWith('overlay:')) return [Object.assign(fresh(), { pane: scope })];
  return overlaysFor(scope).map((o) => {
    const s = fresh();
    s.overlays.push(o);
    return s;
  });
}

function ctxOf(store: Store, calls: string[]): () => ActionContext & { fleet: unknown } {
  return () => ({ state: store.state, store, controller: recorder(calls), fleet: recorder(calls, 'fleet'), page: 10, rowCount: 5, maxScroll: 20 });
}

describe('the registry of key actions', () => {
  it('every key of every action reaches that action where it is listed (pressed through the router)', () => {
    let checked = 0;
    for (const a of ACTIONS) {
      for (const key of a.keys) {
        const reached: string[] = [];
        for (const st of statesFor(a.scope)) {
          // Pane-scoped keys are tried in their pane; global ones in every pane they are not shadowed in.
          const found = lookup(st, key);
          if (found?.id !== a.id) continue;
          const store = new Store(HEADER);
          Object.assign(store.state, { pane: st.pane, overlays: st.overlays, screen: st.screen });
          const calls: string[] = [];
          assert.equal(press(ctxOf(store, calls), key), a.id, `${key} in ${a.scope}`);
          reached.push(st.pane);
          checked++;
        }
        assert.ok(reached.length > 0, `${key} (${a.id}) reaches no action in its scope ${a.scope}: another action takes it (${statesFor(a.scope).map((s) => lookup(s, key)?.id).join(', ')})`);
      }
    }
    assert.ok(checked > 80, `${checked} key presses checked`);
  });

  it('runs what it says: p plans, a asks to apply, 3 shows pane 3, : opens the command line, Esc answers no', () => {
    const store = new Store(HEADER);
    const calls: string[] = [];
    const ctx = ctxOf(store, calls);
    press(ctx, 'p');
    press(ctx, 'a');
    press(ctx, '3');
    assert.deepEqual(calls, ['controller.plan', 'controller.requestApply', 'controller.showPaneNumber']);
    press(ctx, ':');
    assert.equal(store.state.overlays.at(-1)?.kind, 'command');
    for (const ch of 'pl') press(ctx, ch);
    press(ctx, 'Tab');
    assert.deepEqual(store.state.overlays.at(-1), { kind: 'command', input: 'plan' });
    press(ctx, 'Enter');
    assert.equal(store.state.overlays.length, 0);
    assert.equal(calls.at(-1), 'controller.plan');
    let no = 0;
    store.ask({ action: 'x', typed: false, prompt: '?', onYes: () => assert.fail('yes'), onNo: () => no++ });
    assert.equal(press(ctx, 'j'), undefined, 'j does nothing in a y/N question');
    press(ctx, 'Esc');
    assert.equal(no, 1);
    assert.equal(store.state.overlays.length, 0);
  });

  it('an unknown : command is named in the message, cut to 60 characters', () => {
    const store = new Store(HEADER);
    const ctx = ctxOf(store, []);
    press(ctx, ':');
    for (const ch of 'nosuch') press(ctx, ch);
    press(ctx, 'Enter');
    assert.equal(store.state.message?.level, 'error');
    assert.equal(store.state.message?.text, 'unknown command :nosuch');
    press(ctx, ':');
    for (const ch of 'z'.repeat(4000)) press(ctx, ch);
    press(ctx, 'Enter');
    assert.equal(store.state.message?.text, `unknown command :${'z'.repeat(59)}…`);
  });

  it('a typed question takes y and n as text, and yes only for the exact text', () => {
    const store = new Store(HEADER);
    const ctx = ctxOf(store, []);
    let yes = 0;
    store.ask({ action: 'destroy', typed: true, expect: 'reg', prompt: 'type it', onYes: () => yes++ });
    for (const ch of 'ny') assert.equal(press(ctx, ch), 'text');
    press(ctx, 'Enter');
    assert.equal(yes, 0);
    assert.match(store.state.message?.text ?? '', /"ny" is not "reg": nothing applied/);
    for (const ch of 'reg') press(ctx, ch);
    press(ctx, 'Enter');
    assert.equal(yes, 1);
    assert.equal(store.state.overlays.length, 0);
  });

  it('a question opens above a view and answering it pops back to that view', () => {
    const store = new Store(HEADER);
    const ctx = ctxOf(store, []);
    store.open({ kind: 'run', scroll: 0 });
    store.ask({ action: 'host-key', typed: false, prompt: 'trust?', onYes: () => {} });
    assert.deepEqual(store.state.overlays.map((o) => o.kind), ['run', 'confirm']);
    press(ctx, 'y');
    assert.deepEqual(store.state.overlays.map((o) => o.kind), ['run']);
    press(ctx, 'Esc');
    assert.deepEqual(store.state.overlays, []);
  });

  it('no key is bound twice in one scope (unless their conditions differ)', () => {
    const seen = new Map<string, ActionDef>();
    const dup: string[] = [];
    for (const a of ACTIONS)
      for (const k of a.keys) {
        const id = `${a.scope} ${k}`;
        const other = seen.get(id);
        if (other && !other.when && !a.when) dup.push(`${id}: ${other.id} and ${a.id}`);
        seen.set(id, a);
      }
    assert.deepEqual(dup, []);
  });

  it('every status-bar key is one the router gives to that action', () => {
    for (const a of ACTIONS.filter((x) => x.statusBar && x.keys.length)) {
      const states = statesFor(a.scope).filter((s) => lookup(s, a.keys[0]!)?.id === a.id);
      assert.ok(states.length > 0, a.id);
      for (const s of states) assert.ok(statusBarActions(s).includes(a), `${a.id} in the status bar of ${s.pane}`);
    }
  });
});

describe(': command line', () => {
  it('maps words to actions, case- and colon-insensitive', () => {
    assert.equal(parseCommand('plan')?.action.id, 'plan.plan');
    assert.equal(parseCommand(' :Apply ')?.action.id, 'plan.apply');
    assert.equal(parseCommand('q')?.action.id, 'global.quit');
    assert.equal(parseCommand('instances')?.action.id, 'pane.instances');
    assert.equal(parseCommand('nuke'), undefined);
    assert.equal(parseCommand('constructor'), undefined);
  });

  it('every command word parses to its action; arguments where they are taken, and only there', () => {
    const fleet = new Store(HEADER, 16, 'fleet').state;
    for (const a of ACTIONS.filter((x) => x.command)) {
      // A Fleet screen's command parses there; the others in an environment's console.
      const st = a.scope === 'fleet' ? fleet : undefined;
      for (const w of a.command!.words) {
        if (a.command!.arg === 'required') {
          assert.equal(parseCommand(w, st), undefined, `${w} needs its argument`);
          assert.deepEqual(parseCommand(`${w.toUpperCase()}  some thing `, st), { action: a, arg: 'some thing' });
        } else {
          assert.deepEqual(parseCommand(`:${w}`, st), { action: a });
          if (a.command!.arg === 'optional') assert.deepEqual(parseCommand(`${w} x y`, st), { action: a, arg: 'x y' });
          else assert.equal(parseCommand(`${w} x`, st), undefined, `${w} takes no argument`);
        }
      }
    }
    assert.equal(parseCommand('plan', fleet), undefined, ':plan is not a Fleet screen command');
    assert.equal(parseCommand('drift-all'), undefined, ':drift-all is not an environment console command');
    assert.equal(parseCommand('quit', fleet)?.action.id, 'fleet.quit');
    assert.equal(parseCommand('quit')?.action.id, 'global.quit');
    // On the Fleet screen no environment is open: its panes' keys do nothing there.
    for (const k of ['1', '7', 'p', 'a', 'l', 'Tab'] as const) assert.equal(lookup(fleet, k), undefined, `${k} on the Fleet screen`);
    assert.equal(lookup(fleet, 'Enter')?.id, 'fleet.open');
    assert.equal(lookup(new Store(HEADER).state, '0')?.id, 'global.fleet');
    assert.deepEqual(parseCommand('run uptime -p'), { action: ACTIONS.find((a) => a.id === 'instances.run'), arg: 'uptime -p' });
  });

  it('completes the command word', () => {
    assert.equal(complete('pl'), 'plan');
    assert.equal(complete('tu'), 'tunnel', 'tunnel and tunnels share "tunnel"');
    assert.equal(complete('ma'), 'mark ', 'a command that takes an argument gets a space');
    assert.equal(complete('zz'), 'zz');
    assert.deepEqual(completions('un'), ['unlock']);
    assert.deepEqual(completions(''), commandWords());
    assert.ok(commandWords().includes('state-push-errored') && commandWords().includes('lb'));
  });
});

describe('made from the registry', () => {
  it('the help, the README table and --help list every action', () => {
    const help = helpLines().join('\n');
    const table = keyTableMarkdown();
    const usage = consoleUsage();
    for (const a of ACTIONS) {
      assert.ok(help.includes(a.description), `help lists ${a.id}`);
      assert.ok(table.includes(a.description.replace(/\|/g, '\\|')), `README table lists ${a.id}`);
      assert.ok(usage.includes(a.description), `--help lists ${a.id}`);
    }
    assert.match(help, /^a {13}:apply {2}apply the saved plan exactly as shown .* — asks first$/m);
    const fleet = helpLines('fleet');
    assert.equal(fleet[0], '── Fleet screen', 'on the Fleet screen its keys come first');
    assert.match(fleet[1]!, /^Enter {9}open the selected environment's console here/);
    assert.equal(fleet.filter((l) => l.startsWith('── ')).length, helpLines().filter((l) => l.startsWith('── ')).length, 'the same groups, in another order');
    // In an environment's console, the pane on display first, then the rest in the registry's order.
    const roll = helpLines('console', 'roll');
    assert.equal(roll[0], '── Roll', 'the Roll pane shown: its keys come first');
    assert.match(roll[1]!, /^a {13}/);
    const entries = (ls: string[]) => ls.filter((l) => l && !l.startsWith('── ')).sort();
    assert.deepEqual(entries(roll), entries(helpLines()), 'the same entries, in another order');
    assert.equal(helpLines('console', 'plan')[0], '── Plan/Apply');
  });

  it('--help prints the --ci commands and the console keys and : commands of the registry', () => {
    const r = spawnSync(process.execPath, [join(projectRoot(), 'dist', 'bundle', 'bin.js'), '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /--ci state-push-errored/);
    assert.match(r.stdout, /console keys/);
    for (const a of ACTIONS) assert.ok(r.stdout.includes(a.description), `--help lists ${a.id}`);
  });
});
