# Claude Code: register smolmap's stdio server for this user (use --scope project to share it in .mcp.json).
claude mcp add --scope user smolmap -- node /path/to/smolmap/bin/smolmap.js mcp --data-dir /path/to/smolmap/data --models-dir /path/to/smolmap/models
# Or a running `SMOLMAP_MCP_TOKEN=… smolmap serve --mcp-port 7333` over Streamable HTTP:
claude mcp add --transport http smolmap http://127.0.0.1:7333/mcp --header "Authorization: Bearer $SMOLMAP_MCP_TOKEN"
