import { HttpClient } from '../lib/http.js';
import { cpuMeter, generatorDelayMeter, type CpuUse, type GeneratorDelay } from '../lib/process-usage.js';
import { startProgress } from '../lib/progress.js';
import { Recorder, type EndpointResult } from '../lib/recorder.js';
import { startBenchServer } from '../lib/server.js';
import { runVirtualUser, STEADY_API, type AuthMode } from '../lib/virtual-user.js';

export interface UsersOptions {
  mode: AuthMode;
  users: number;
  /** Virtual users started per second (the seed's locust --spawn-rate). */
  spawnRate: number;
  /** How long the whole population is held once spawned, seconds. */
  steadySeconds: number;
  /** Mean pause between a user's API calls, seconds (each pause is 0.5–1.5 × this). */
  thinkSeconds: number;
  /** Server TOKEN_EXPIRY for the run, so users refresh within it. */
  tokenExpirySeconds: number;
  /** Keep-alive connections for API calls, refreshes and logouts; logins have a pool of their own. */
  connections: number;
}

/** Connections for logins: while argon2id makes them queue, they must not hold the API's connections. */
const LOGIN_CONNECTIONS = 256;

export interface UsersResult {
  options: UsersOptions;
  endpoints: Record<string, EndpointResult>;
  requests: number;
  errors: number;
  errorRate: number;
  errorExamples: string[];
  /** Server resident memory sampled once a second, bytes. */
  rss: { samples: number[]; peak: number; steadyAvg: number };
  /** Server and load-generator CPU over the whole run and while all users were held. */
  cpu: { whole: CpuUse; steady?: CpuUse };
  /** The load generator's own event loop while all users were held. */
  generatorDelay?: GeneratorDelay;
  /** Virtual users that completed login, logout and everything between without an error. */
  seconds: number;
}

/** The seed's load test: N users log in, call the API with think time, refresh, and log out. */
export async function runUsers(options: UsersOptions): Promise<UsersResult> {
  const server = await startBenchServer(
    {
      AUTH_RATE_LIMIT: '0',
      TRUST_PROXY: 'true',
      TOKEN_EXPIRY: String(options.tokenExpirySeconds),
      LEGACY_SESSIONS: 'on',
      JWT_ROLLOUT_PERCENT: '100',
    },
    { users: options.users },
  );
  // Real users each have their own connection; the generator shares pools instead, one for logins and
  // one for the rest, so a queue of slow logins never delays another user's API call inside the client.
  const http = { api: new HttpClient(server.url, options.connections), login: new HttpClient(server.url, LOGIN_CONNECTIONS) };
  const recorder = new Recorder();
  const rssSamples: number[] = [];
  const steadyRss: number[] = [];
  const started = performance.now();
  const spawnMs = (options.users / options.spawnRate) * 1000;
  let spawned = 0;
  let answered = 0;
  // The steady state starts once every user has logged in (logins queue behind argon2id while users
  // spawn), and lasts steadySeconds.
  let steadyFrom = Infinity;
  let endAt = Infinity;
  const wholeRun = cpuMeter(server.pid);
  let steadyCpu: CpuUse | undefined;
  let generatorDelay: GeneratorDelay | undefined;
  let endDelayMeter: (() => GeneratorDelay) | undefined;
  let steadyTimer: NodeJS.Timeout | undefined;
  const loginAnswered = () => {
    answered += 1;
    if (answered === options.users) {
      steadyFrom = performance.now();
      const [steadyMeter, requests0] = [cpuMeter(server.pid), recorder.total];
      endDelayMeter = generatorDelayMeter();
      // The steady state ends when its time is up, before the users log out.
      steadyTimer = setTimeout(() => {
        steadyCpu = steadyMeter(recorder.total - requests0);
        generatorDelay = endDelayMeter!();
      }, options.steadySeconds * 1000);
      endAt = steadyFrom + options.steadySeconds * 1000;
    }
  };
  const sampler = setInterval(() => {
    const rss = server.rss();
    rssSamples.push(rss);
    if (performance.now() >= steadyFrom) steadyRss.push(rss);
  }, 1000);
  let cpu: UsersResult['cpu'] | undefined;
  let endedAt = Infinity;
  const stopProgress = startProgress(
    () =>
      `[users ${options.mode}] ${spawned.toLocaleString('en-US')}/${options.users.toLocaleString('en-US')} users · ` +
      `${recorder.total.toLocaleString('en-US')} requests · ${recorder.errorCount} errors · server RSS ${Math.round(server.rss() / 2 ** 20)} MB`,
  );
  try {
    const running: Array<Promise<void>> = [];
    for (let i = 0; i < options.users; i += 1) {
      const due = started + (i / options.spawnRate) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      spawned += 1;
      running.push(
        runVirtualUser(http, recorder, {
          index: i,
          mode: options.mode,
          endAt: () => endAt,
          steadyFrom: () => steadyFrom,
          loginAnswered,
          thinkMs: options.thinkSeconds * 1000,
          refreshMarginMs: Math.min((options.tokenExpirySeconds * 1000) / 2, Math.max(10_000, 1.5 * options.thinkSeconds * 1000 + 1000)),
          logoutSpreadMs: Math.min(10_000, spawnMs),
        }),
      );
    }
    await Promise.all(running);
  } finally {
    clearTimeout(steadyTimer);
    endDelayMeter?.(); // a run that ended early leaves no 1 ms timer waking the generator
    endedAt = performance.now();
    cpu = { whole: wholeRun(recorder.total), ...(steadyCpu ? { steady: steadyCpu } : {}) };
    clearInterval(sampler);
    stopProgress();
    await Promise.all([http.api.close(), http.login.close()]);
    await server.stop();
  }
  const requests = recorder.total;
  const errors = recorder.errorCount;
  return {
    options,
    // The steady state's calls per second are over its own window, not the whole run.
    endpoints: recorder.results(steadyFrom < Infinity ? { [STEADY_API]: (Math.min(endedAt, endAt) - steadyFrom) / 1000 } : {}),
    requests,
    errors,
    errorRate: requests ? errors / requests : 0,
    errorExamples: recorder.errorExamples,
    rss: {
      samples: rssSamples,
      peak: Math.max(0, ...rssSamples),
      steadyAvg: steadyRss.length ? steadyRss.reduce((a, b) => a + b, 0) / steadyRss.length : 0,
    },
    cpu: cpu!,
    ...(generatorDelay ? { generatorDelay } : {}),
    seconds: (performance.now() - started) / 1000,
  };
}
