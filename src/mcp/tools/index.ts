/**
 * The tool table. A tool is listed only when the facade function behind it exists; execute_call only when
 * the operator enabled it in mcp.json; import_base_model only for a local client (stdio), since it reads a
 * path of the server's machine.
 */
import type { McpConfig } from '../config.js';
import type { AnyTool } from '../tool.js';
import { correctionTools } from './corrections.js';
import { dataTools } from './data.js';
import { executeTools } from './execute.js';
import { jobTools } from './jobs.js';
import { baseModelTools, importBaseModelTool } from './base-models.js';
import { modelTools } from './models.js';
import { specTools } from './specs.js';

export function allTools(config: McpConfig, access: { localFiles: boolean }): AnyTool[] {
  return [
    ...specTools,
    ...dataTools,
    ...correctionTools,
    ...jobTools,
    ...modelTools,
    ...baseModelTools,
    ...(access.localFiles ? [importBaseModelTool] : []),
    ...(config.executeCall.enabled ? executeTools : []),
  ];
}
