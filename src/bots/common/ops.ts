/**
 * The facade functions the bots call for the mapper verbs (ask, models, activate, history), in the shape the
 * bots need. A verb whose facade function does not exist is left out of `mapperOps`, and the command then
 * answers `bot_unavailable` instead of pretending.
 */
import type { ApiCall, Engine } from '../../engine/index.js';

export interface AskAnswer {
  call: ApiCall;
  curl: string;
  confidence: number | null;
  model: string;
  spec: string;
  specVersion: number;
}

export interface AdapterLine {
  id: string;
  spec: string;
  specVersion: number;
  active: boolean;
  metrics: string | null;
}

export interface HistoryLine {
  at: string;
  task: string;
  result: string;
}

export interface MapperOps {
  ask?(engine: Engine, o: { spec: string; task: string; tenant: string; model?: string }): Promise<AskAnswer>;
  models?(engine: Engine, o: { spec?: string; tenant: string }): Promise<AdapterLine[]>;
  activate?(engine: Engine, o: { model: string; tenant: string }): Promise<AdapterLine>;
  history?(engine: Engine, o: { tenant: string; limit: number }): Promise<HistoryLine[]>;
}

/** Wired to the facade as its functions land (issue 9: unregistered verbs are reported, not faked). */
export const mapperOps: MapperOps = {};
