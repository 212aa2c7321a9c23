# syntax=docker/dockerfile:1
# Build: compile TypeScript with the dev toolchain.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
# src/emulator and src/demo (development code) are left out by .dockerignore and tsconfig.build.json.
COPY src ./src
COPY commands ./commands
RUN npm run build

# Run: production dependencies only, non-root, with the runbooks and the example configuration.
FROM node:24-slim
# A smaller young generation (V8's default semi-space is 16 MB) keeps the bot's RSS well under its
# 200 MB budget at a few percent more GC work; the failover benchmark runs drbot with these options.
ENV NODE_ENV=production PORT=3000 DRBOT_RUNBOOKS=/app/runbooks NODE_OPTIONS=--max-semi-space-size=8
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY runbooks ./runbooks
COPY drbot.example.yaml ./drbot.example.yaml
USER node
# 3000: Slack's /slack/events (HTTP mode); 9090: /healthz, /readyz, /metrics (the management port).
EXPOSE 3000 9090
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.MANAGEMENT_PORT||9090)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve"]
