import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // ORT sessions use native threads; a forked worker keeps that native state out of vitest's main process.
    pool: 'forks',
    // Two files at once: vitest's default (cores - 1) ran one file at a time on the 2-core machine while most
    // files build single-threaded ORT sessions, so one core sat idle.
    maxWorkers: 2,
    // Files in one worker share loaded modules: each file re-importing the engine (transformers, scalar,
    // faker, discord.js, ORT…) cost 2–5 s, about 160 s of a 570 s suite. Tests restore what they change
    // (process.env, spies), and no test mocks modules. Measured under load 4–8: 307 and 331 s
    // for the whole real-model suite, against 491 s with isolation and 570 s with one worker.
    isolate: false,
  },
});
