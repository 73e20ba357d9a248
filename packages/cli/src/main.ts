/**
 * emofuse command line. Loads and validates everything first (bad input: exit 2, nothing done),
 * then calls the pipeline with a context carrying output and a Ctrl-C abort signal.
 * Exit codes: 0 ok, 1 failure, 2 bad input (configuration or usage), 130 interrupted.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { expandSweep, importPlugins, loadExperiment, loadSweep, repoRoot, toResolvedYaml } from './config/index.ts';
import { initProject } from './init.ts';
import { EXIT, UsageError, atConfigOption, codeFor, printError } from './errors.ts';
import { interruptible } from './interrupt.ts';
import type { ReportOptions } from './pipeline/index.ts';
import { formatDoctor, runDoctor } from './doctor.ts';
import { catalog, formatCatalog } from './catalog.ts';
import { formatGc, formatRuns, gcPartials, listRunDirs } from './runs.ts';
import { addLaunchOptions, addSweepSubcommands, launchRun, launchSweep, type LaunchFlags } from './sweep/cli.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

function parseSeed(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a non-negative integer, e.g. --seed 3');
  return Number(value);
}

function parseTags(tags: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags) {
    const eq = t.indexOf('=');
    if (eq <= 0) throw new UsageError(`expected key=value, got '${t}'`, { where: '--tag', fix: 'for example --tag paper=table2' });
    out[t.slice(0, eq)] = t.slice(eq + 1);
  }
  return out;
}

/** --ablation: 'experiment', 'system', 'tag:<key>' or 'none'. */
function parseAblation(by: string | undefined): ReportOptions['ablation'] {
  if (by === undefined) return undefined;
  if (by === 'none') return false;
  if (by === 'experiment' || by === 'system') return { by };
  if (/^tag:.+/.test(by)) return { by: { tag: by.slice(4) } };
  throw new UsageError(`unknown ablation '${by}'`, { where: '--ablation', fix: "use experiment, system, tag:<key> (e.g. tag:sweepPoint) or none" });
}

/** The data folder for this invocation: --data becomes EMOFUSE_DATA, so sweep workers inherit it. */
function applyData(dir: string | undefined): void {
  if (dir !== undefined) process.env.EMOFUSE_DATA = path.resolve(dir);
}

function packageVersion(): string {
  try {
    // The CLI package's own manifest (src/ or dist/ sit beside it); released in lockstep with the rest.
    return (JSON.parse(readFileSync(path.join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

export function buildProgram(setCode: (code: number) => void): Command {
  const program = new Command('emofuse');
  program
    .description('Multimodal (speech + transcript) emotion recognition: train, fuse, evaluate, track and report.\n' +
      'Reimplements Sebastian & Pierucci (Interspeech 2019): text LSTM, speech CNN, joint-CNN, late fusion I-III.')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .showSuggestionAfterError(true)
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', `
Examples:
  $ emofuse init my-project && cd my-project       # the shipped examples in a folder of your own
  $ emofuse run                                    # the paper's defaults (text LSTM, IEMOCAP)
  $ emofuse run experiments/iemocap/late_fusion_weighted.yaml
  $ emofuse run experiments/iemocap/text_lstm.yaml --set train.epochs=5 --seed 1
  $ emofuse run experiments/emodb/speech_cnn.yaml --dry-run
  $ emofuse sweep experiments/sweeps/text_lstm_units.yaml
  $ emofuse report --experiment iemocap-late_fusion_weighted --out out/report
  $ emofuse runs push --to http://127.0.0.1:5000
  $ emofuse doctor

Exit codes: 0 ok, 1 failure, 2 bad input (configuration or usage; nothing was done), 130 interrupted.
Configuration: defaults in packages/cli/src/config/defaults.ts; experiment YAML files hold overrides.
Data: $EMOFUSE_DATA/... in a path is the data folder: env EMOFUSE_DATA or --data (in the clone,
../shared/data beside it).`);

  const runCmd = program
    .command('run')
    .description('train the systems of one experiment (one run per seed), fuse, score, log and save')
    .argument('[experiment]', 'experiment YAML with overrides of the defaults (none: the defaults alone)')
    .option('--set <key=value>', 'override one config key, value as YAML (repeatable), e.g. --set train.batchSize=16', collect, [])
    .option('--seed <n>', 'run this seed only (replaces `seeds`)', parseSeed)
    .option('--dry-run', 'read and check the corpus and split, print the resolved configuration (every default filled) and the per-split class counts, and exit; nothing is trained or written')
    .option('--data <dir>', 'the data folder that $EMOFUSE_DATA in paths means (default env EMOFUSE_DATA; in the clone ../shared/data)')
    .addHelpText('after', `
Relative paths resolve where they were written: files inside the clone and the defaults against
the repository root (so ../shared/data/... is the shared data beside the clone); other YAML files
(a project made by emofuse init) against their own folder; the defaults outside the clone and
--set values against the current directory.

Each run writes runs/<experiment>/<run-id>/ (model, posteriors, split, metrics, config.resolved.yaml)
into a temporary folder renamed at the end: an interrupted run leaves nothing that looks complete.

Examples:
  $ emofuse run --dry-run                          # show every key and its default
  $ emofuse run experiments/iemocap/joint_cnn.yaml --seed 2
  $ emofuse run experiments/iemocap/text_lstm.yaml --set model.text.lstmUnits=64 --set seeds=[1,2]
  $ emofuse run runs/default/<run-id>/config.resolved.yaml --fresh   # rerun a run exactly
  $ emofuse run experiments/emodb/speech_cnn.yaml --jobs 2  # seeds in 2 worker processes

Seeds already complete in the run store with the same config fingerprint are skipped (--fresh redoes them).`)
    .action(async (file: string | undefined, opts: { set: string[]; seed?: number; dryRun?: boolean; data?: string } & LaunchFlags) => {
      applyData(opts.data);
      let config;
      try {
        await importPlugins(file, opts.set);
        config = loadExperiment(file, { set: opts.set, seed: opts.seed });
      } catch (e) {
        printError(e);
        return setCode(codeFor(e));
      }
      if (opts.dryRun) {
        // The corpus and every seed's split are read and checked (not the features), so a bad
        // manifest or split fails here with exit 2; the per-split class tables go to stderr.
        let preview;
        try {
          const { previewInputs } = await import('@emofuse/data');
          preview = previewInputs(config, { onWarning: (m) => process.stderr.write(`warning: ${m}\n`) });
          const { checkRunMemory, previewFeatureFiles, systemsToTrain } = await import('./pipeline/index.ts');
          const first = preview.folds.get(config.seeds[0])?.[0];
          if (first) preview.text += (await previewFeatureFiles(config, preview.corpus, first, systemsToTrain(config))).map((t) => `\n${t}`).join('');
          checkRunMemory(config, preview.corpus, systemsToTrain(config), (m) => process.stderr.write(`warning: ${m}\n`));
        } catch (e) {
          // previewInputs names the option within the config it was given: the config key.
          const err = atConfigOption(e);
          printError(err);
          return setCode(codeFor(err));
        }
        process.stdout.write(toResolvedYaml(config));
        process.stderr.write(`${preview.text}\n(dry run: the corpus was read and split, feature files checked; no features were computed, nothing was trained or written)\n`);
        return setCode(EXIT.ok);
      }
      setCode(await launchRun(config, opts, file));
    });
  addLaunchOptions(runCmd);

  const sweepCmd = program
    .command('sweep')
    .description('run a hyperparameter grid over a base experiment; choose the best point on the validation split')
    .argument('<sweep>', 'sweep YAML: { base, grid: { key.path: [values] }, metric, split: valid, mode }')
    .option('--set <key=value>', 'override a config key at every point (repeatable)', collect, [])
    .option('--seed <n>', 'run this seed only at every point', parseSeed)
    .option('--dry-run', 'list the grid points and exit')
    .option('--data <dir>', 'the data folder that $EMOFUSE_DATA in paths means (default env EMOFUSE_DATA)')
    .addHelpText('after', `
The sweep chooses on validation only: a sweep file with "split: test" is refused. Every point is
validated before the first one trains. Points run as experiment sweep-<name>, tagged with the point.

Example sweep file (experiments/sweeps/text_lstm_units.yaml):
  base: experiments/iemocap/text_lstm.yaml
  grid: { model.text.lstmUnits: [64, 128, 256], train.batchSize: [16, 32] }
  metric: ua
  split: valid
  mode: max

Examples:
  $ emofuse sweep experiments/sweeps/text_lstm_units.yaml --dry-run
  $ emofuse sweep experiments/sweeps/text_lstm_units.yaml --seed 1
  $ emofuse sweep experiments/sweeps/text_lstm_units.yaml --jobs 2
  $ emofuse sweep experiments/sweeps/text_lstm_units.yaml --launcher slurm --partition gpu --time 2:00:00
  $ emofuse sweep status runs/.sweeps/sweep-text_lstm_units-<time>
  $ emofuse sweep resubmit runs/.sweeps/sweep-text_lstm_units-<time> --task 3

Rerunning a sweep skips the (config, seed) pairs already complete in the run store.`)
    .action(async (file: string, opts: { set: string[]; seed?: number; dryRun?: boolean; data?: string } & LaunchFlags) => {
      applyData(opts.data);
      let sweep, points;
      try {
        sweep = loadSweep(file);
        await importPlugins(sweep.base, opts.set);
        points = expandSweep(sweep, { set: opts.set, seed: opts.seed });
      } catch (e) {
        printError(e);
        return setCode(codeFor(e));
      }
      if (opts.dryRun) {
        const runs = points.reduce((n, p) => n + p.config.seeds.length, 0);
        process.stdout.write(`sweep ${sweep.name}: ${points.length} points, ${runs} runs; choose by ${sweep.metric} on ${sweep.split} (${sweep.mode})\n`);
        for (const p of points) process.stdout.write(`  ${p.name}  seeds [${p.config.seeds.join(', ')}]\n`);
        return setCode(EXIT.ok);
      }
      setCode(await launchSweep(sweep, points, opts));
    });
  addLaunchOptions(sweepCmd);
  addSweepSubcommands(sweepCmd, setCode);

  program
    .command('init')
    .description('make a project folder: the shipped example experiments, a .gitignore for runs/, mlruns/ and .cache/, a README')
    .argument('[dir]', 'the project folder (made if missing)', '.')
    .option('--force', 'overwrite files of an earlier init')
    .addHelpText('after', `
The examples are copied so that their paths resolve from the project: files they ship with (the
manifest example's CSV) beside them, shared data as $EMOFUSE_DATA/... (set EMOFUSE_DATA or --data).

Examples:
  $ emofuse init my-project
  $ cd my-project && emofuse run experiments/manifest-example/cafe.yaml --set train.epochs=1`)
    .action((dir: string, opts: { force?: boolean }) => {
      try {
        const r = initProject(dir, { force: opts.force });
        process.stdout.write(`emofuse project in ${r.dir}: ${r.written.length} files written (experiments/, README.md), .gitignore ${r.gitignore}
` +
          `next: cd ${path.relative(process.cwd(), r.dir) || '.'} && emofuse run experiments/manifest-example/cafe.yaml --set train.epochs=1
`);
        setCode(EXIT.ok);
      } catch (e) {
        printError(e);
        setCode(codeFor(e));
      }
    });

  program
    .command('report')
    .description('build the HTML report (tables, confusion matrices, Vega-Lite figures) from logged runs')
    .option('--experiment <name>', 'experiment to report (default: every experiment)')
    .option('--tag <key=value>', 'only runs with this tag (repeatable)', collect, [])
    .option('--run-id <id>', 'only this run (repeatable)', collect, [])
    .option('--store <dir>', 'local run store to read (default ./mlruns)')
    .option('--uri <url>', 'MLflow tracking server to read instead of the local store (default env MLFLOW_TRACKING_URI)')
    .option('--out <dir>', 'output folder for the report')
    .option('--ablation <by>', "the ablation table: across 'experiment's, across 'system' configurations, by 'tag:<key>', or 'none' (default: by experiment when the runs span several, by configuration when a system ran in several, else none)")
    .addHelpText('after', `
Examples:
  $ emofuse report --experiment iemocap-late_fusion_weighted --out out/report
  $ emofuse report --tag paper=table2 --ablation experiment
  $ emofuse report --tag paper=table2 --uri http://127.0.0.1:5000`)
    .action(async (opts: { experiment?: string; tag: string[]; runId: string[]; store?: string; uri?: string; out?: string; ablation?: string }) => {
      let tags;
      let ablation: ReportOptions['ablation'];
      try {
        tags = parseTags(opts.tag);
        ablation = parseAblation(opts.ablation);
        if (opts.store && opts.uri) throw new UsageError('give either --store or --uri, not both', { where: 'report' });
        if (opts.uri) checkUrl(opts.uri, '--uri');
      } catch (e) {
        printError(e);
        return setCode(codeFor(e));
      }
      setCode(await interruptible('the report', async (ctx) => {
        const { makeReport } = await import('./pipeline/index.ts');
        const r = await makeReport({ experiment: opts.experiment, tags, runIds: opts.runId, store: opts.store && path.resolve(opts.store), uri: opts.uri, out: opts.out && path.resolve(opts.out), ablation }, ctx);
        ctx.log(`report written: ${r.file}`);
      }));
    });

  const runs = program.command('runs').description('list local runs, remove stale partial ones (gc), or push runs logged offline to an MLflow server');
  runs
    .command('push')
    .description('push runs from the local store (./mlruns) to an MLflow tracking server')
    .requiredOption('--to <url>', 'MLflow server URL, e.g. http://127.0.0.1:5000')
    .option('--store <dir>', 'local store folder (default: EMOFUSE_MLRUNS, else ./mlruns)')
    .addHelpText('after', `
Runs already on the server are skipped, so pushing twice is safe.

Example:
  $ emofuse runs push --to http://127.0.0.1:5000 --store mlruns`)
    .action(async (opts: { to: string; store?: string }) => {
      // The store `run` and `report` use.
      const store = path.resolve(opts.store ?? process.env.EMOFUSE_MLRUNS ?? 'mlruns');
      try {
        checkUrl(opts.to, '--to');
        if (!existsSync(store) || !statSync(store).isDirectory()) {
          throw new UsageError('no local run store here', { where: store, fix: 'pass --store <dir> (runs are logged to ./mlruns when no server is set)' });
        }
      } catch (e) {
        printError(e);
        return setCode(codeFor(e));
      }
      setCode(await interruptible('the push', async (ctx) => {
        const { pushStore } = await import('./pipeline/index.ts');
        const r = await pushStore({ to: opts.to, store }, ctx);
        ctx.log(`pushed ${r.pushed} run(s), skipped ${r.skipped} already on ${opts.to}`);
      }));
    });
  runs
    .command('list')
    .description('list runs saved under the output folder (runs/<experiment>/<run-id>/)')
    .option('--dir <dir>', 'output folder', path.join(repoRoot, 'runs'))
    .option('--json', 'print JSON')
    .action((opts: { dir: string; json?: boolean }) => {
      const list = listRunDirs(path.resolve(opts.dir));
      process.stdout.write(opts.json ? `${JSON.stringify(list, null, 2)}\n` : `${formatRuns(list)}\n`);
      setCode(EXIT.ok);
    });
  runs
    .command('gc')
    .description('remove the partial run folders (.<run-id>.partial-*) of processes that have ended; live ones are never touched')
    .option('--dir <dir>', 'output folder', path.join(repoRoot, 'runs'))
    .option('--dry-run', 'only say what would be removed')
    .option('--json', 'print JSON')
    .addHelpText('after', `
A partial is removed only when its owner process (recorded in <partial>.owner) has ended on this
host. Partials made on another host, or by an emofuse without owner files, are kept and listed.

Example:
  $ emofuse runs gc --dry-run`)
    .action((opts: { dir: string; dryRun?: boolean; json?: boolean }) => {
      const r = gcPartials(path.resolve(opts.dir), { dryRun: opts.dryRun });
      process.stdout.write(opts.json ? `${JSON.stringify(r, null, 2)}\n` : `${formatGc(r, opts.dryRun)}\n`);
      setCode(EXIT.ok);
    });

  program
    .command('models')
    .argument('[experiment]', "experiment YAML whose `plugins:` to load first (their types and rules are listed too)")
    .description('list the model types and late-fusion rules a run can name, with what each reads and its config slice')
    .option('--set <key=value>', 'as for run (only plugins=[...] matters here)', collect, [])
    .option('--json', 'print JSON (for machines)')
    .addHelpText('after', `
Examples:
  $ emofuse models
  $ emofuse models experiments/emodb/speech_mlp.yaml     # with the example plugin's speech-mlp`)
    .action(async (file: string | undefined, opts: { set: string[]; json?: boolean }) => {
      try {
        await importPlugins(file, opts.set);
      } catch (e) {
        printError(e);
        return setCode(codeFor(e));
      }
      const c = catalog();
      process.stdout.write(opts.json ? `${JSON.stringify(c, null, 2)}\n` : `${formatCatalog(c)}\n`);
      setCode(EXIT.ok);
    });

  program
    .command('setup')
    .description('set up an optional part in your project folder: `setup backend` builds the fast tfjs backend (tfjs-node)')
    .command('backend')
    .description("build tfjs-node's native binding in ./node_modules from PyPI's tensorflow-cpu wheel (its own installer's download often fails)")
    .option('--dir <dir>', 'the project folder whose node_modules gets tfjs-node (default: the current folder)', '.')
    .addHelpText('after', `
Needs Python with pip (EMOFUSE_PYTHON or python3), a C++ compiler, make and Node's headers; all
are checked before anything is written. Downloads the tensorflow-cpu wheel (about 274 MB) into
<dir>/.cache/tensorflow, links its C library into node_modules/@tensorflow/tfjs-node/deps and
compiles the binding with node-gyp. Run emofuse from that folder and 'auto' picks 'tensorflow'.

Example:
  $ cd my-project && emofuse setup backend && emofuse doctor`)
    .action(async (opts: { dir: string }) => {
      const { setupBackend } = await import('./backend-setup.ts');
      try {
        const r = setupBackend({ dir: opts.dir });
        process.stdout.write(`tfjs-node ${r.built ? 'built' : 'already built'}: ${r.tfjsNode}\n`);
        setCode(EXIT.ok);
      } catch (e) {
        printError(e);
        setCode(EXIT.failure);
      }
    });

  program
    .command('doctor')
    .description('check the setup: tfjs backend and why, library versions, Python venv, openSMILE, MLflow, git, chromium')
    .option('--json', 'print JSON (for machines)')
    .addHelpText('after', `
Exit code 1 when something required is broken (warnings are fine).

Examples:
  $ emofuse doctor
  $ MLFLOW_TRACKING_URI=http://127.0.0.1:5000 emofuse doctor --json`)
    .action(async (opts: { json?: boolean }) => {
      const report = await runDoctor();
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDoctor(report)}\n`);
      setCode(report.ok ? EXIT.ok : EXIT.failure);
    });

  return program;
}

function checkUrl(url: string, flag: string): void {
  let u: URL | undefined;
  try {
    u = new URL(url);
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) {
    throw new UsageError(`expected an http(s) URL, got '${url}'`, { where: flag, fix: `for example ${flag} http://127.0.0.1:5000` });
  }
}

/** Parse and run; returns the exit code (never throws). */
export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => { code = c; });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are not errors; every other commander error is a usage error.
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? EXIT.ok : EXIT.input;
    }
    printError(e);
    return EXIT.failure;
  }
  return code;
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  process.exit(await main(process.argv.slice(2)));
}
