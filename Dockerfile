# syntax=docker/dockerfile:1
# One image for the three processes (producer, worker, simulator); docker-compose.yml picks the command.

FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV TURBO_TELEMETRY_DISABLED=1
# Manifests first, so the dependency layer is rebuilt only when they change.
COPY package.json package-lock.json turbo.json tsconfig.base.json vitest.shared.ts ./
COPY packages/core/package.json packages/core/
COPY packages/aiqum-client/package.json packages/aiqum-client/
COPY packages/aiqum-simulator/package.json packages/aiqum-simulator/
COPY packages/subscriber/package.json packages/subscriber/
COPY packages/test-support/package.json packages/test-support/
COPY packages/webhooks/package.json packages/webhooks/
COPY apps/demo/package.json apps/demo/
COPY apps/example-subscriber/package.json apps/example-subscriber/
COPY apps/producer/package.json apps/producer/
COPY apps/worker/package.json apps/worker/
COPY test/package.json test/
COPY bench/package.json bench/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx turbo run build --filter=@aiqum-jobs/producer --filter=@aiqum-jobs/worker --filter=@aiqum-jobs/aiqum-simulator \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app ./
USER node
# The producer's HTTP API, the worker's health port, the simulator.
EXPOSE 8080 8081 8443
CMD ["node", "--max-old-space-size=192", "apps/worker/bin/aiqum-worker.js"]
