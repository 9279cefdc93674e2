ARG NODE_IMAGE=node:22-bookworm-slim

# All dependencies, for the TypeScript build only. Install scripts are skipped: tsc needs
# none, and dev-only optional natives (cpu-features via testcontainers) would try to compile.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src/ src/
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/app/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/ dist/
# Read at run time: migrations resolve from dist/db/migrator.js to /app/supabase/migrations.
COPY supabase/ supabase/
COPY prompts/ prompts/
COPY knowledge/ knowledge/
# Only DATA_DIR (the embedded database when DATABASE_URL is unset) is writable by the app.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
# Liveness only (/healthz); slim has no curl, so node's fetch does the probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
# node runs as PID 1 and handles SIGTERM/SIGINT itself (graceful drain in main.ts).
CMD ["node", "dist/main.js"]
