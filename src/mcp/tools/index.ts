/**
 * The tool table. A tool is listed only when the facade function behind it exists; execute_call only when
 * the operator enabled it in mcp.json.
 */
import type { McpConfig } from '../config.js';
import type { AnyTool } from '../tool.js';
import { dataTools } from './data.js';
import { executeTools } from './execute.js';
import { jobTools } from './jobs.js';
import { modelTools } from './models.js';
import { specTools } from './specs.js';

export function allTools(config: McpConfig): AnyTool[] {
  return [
    ...specTools,
    ...dataTools,
    ...jobTools,
    ...modelTools,
    ...(config.executeCall.enabled ? executeTools : []),
  ];
}
