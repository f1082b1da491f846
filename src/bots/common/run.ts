/**
 * The *Run* button: sends an answered call through the engine's guarded execute path (allowlisted base URLs,
 * address checks, no redirects, time and size caps) and renders the status and a cut, redacted body for the
 * clicking user only.
 *
 * The operator's settings are MCP's `executeCall` (mcp.json). Per-spec entries (base URL, credentials) apply
 * to a bot workspace only under its tenant, `tenants["discord:1234"].specs.pets` (executeConfigFor), so a
 * workspace cannot borrow another's credentials by naming its spec alike.
 */
import {
  SmolmapError,
  correctionDraft,
  executable,
  executeConfigFor,
  getSpec,
  missingValues,
  prepareCall,
  sendCall,
  type Catalog,
  type CallResponse,
  type Engine,
  type ExecuteConfig,
  type PreparedCall,
} from '../../engine/index.js';
import { authorizeAction, mayDo, type Actor, type Permissions } from './permissions.js';

/** Characters of the response body shown in chat. */
const MAX_BODY = 1500;

/** Whether an answer of `spec` gets a *Run* button for this actor. */
export function offersRun(
  config: ExecuteConfig | undefined,
  permissions: Permissions,
  actor: Actor,
  spec: string,
  catalog: Catalog,
): boolean {
  return (
    config !== undefined &&
    mayDo(permissions, actor, 'run') &&
    executable(spec, catalog, executeConfigFor(config, actor.tenant))
  );
}

/** The body with the configured secret values of the spec replaced, cut to what chat shows. */
function shownBody(body: string, secrets: string[]): string {
  let text = body;
  for (const s of secrets) if (s.length >= 4) text = text.split(s).join('***');
  return text.length <= MAX_BODY
    ? text
    : `${text.slice(0, MAX_BODY)}\n… (${text.length - MAX_BODY} more characters)`;
}

export function renderRun(p: PreparedCall, r: CallResponse, secrets: string[]): string {
  const size = `${r.bytes} bytes${r.truncated ? ', cut at the size cap' : ''}, ${r.durationMs} ms`;
  const body = r.body.trim() === '' ? '(empty body)' : shownBody(r.body, secrets);
  return `\`${p.method} ${p.shownUrl}\` → *${r.status}* (${size})\n\`\`\`\n${body.replace(/```/g, "'''")}\n\`\`\``;
}

export interface RunDeps {
  engine: Engine;
  permissions: Permissions;
  execute?: ExecuteConfig;
}

/** Sends the call of answer `queryId` for `actor`; the text to show them. */
export async function runAnswer(
  deps: RunDeps,
  actor: Actor,
  queryId: string,
  signal: AbortSignal,
): Promise<string> {
  const { engine } = deps;
  if (!deps.execute?.enabled)
    throw new SmolmapError(
      'bot_run_disabled',
      'sending calls is off here; the operator can turn it on with executeCall in mcp.json',
    );
  authorizeAction(deps.permissions, actor, 'run');
  const config = executeConfigFor(deps.execute, actor.tenant);
  const draft = await correctionDraft(engine, queryId, { tenant: actor.tenant });
  if (!draft.call) throw new SmolmapError('bot_run_no_call', 'that answer has no call to send; ask again');
  const { catalog } = await getSpec(engine, draft.spec.name, {
    tenant: actor.tenant,
    version: draft.spec.version,
  });
  if (missingValues(draft.task, draft.call, catalog).length > 0)
    throw new SmolmapError(
      'bot_run_needs_values',
      'that answer still asks for values it was not given; use *Fill in* and run the completed call from the CLI, or ask again with the values',
    );
  const prepared = prepareCall(draft.spec.name, draft.call, catalog, config);
  const response = await sendCall(prepared, config, signal, engine.net);
  const access = Object.hasOwn(config.specs, draft.spec.name) ? config.specs[draft.spec.name] : undefined;
  const secrets = access ? [...Object.values(access.headers), ...Object.values(access.query)] : [];
  return renderRun(prepared, response, secrets);
}
