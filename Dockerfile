# syntax=docker/dockerfile:1
# One image for the three processes (producer, worker, simulator); docker-compose.yml picks the command.

# The current Node.js LTS; the code also runs on Node.js 20.19+ (package.json engines), as the tests do.
FROM node:26-trixie-slim AS build
WORKDIR /app
ENV TURBO_TELEMETRY_DISABLED=1
# Manifests first, so the dependency layer is rebuilt only when they change.
COPY package.json package-lock.json turbo.json tsconfig.base.json vitest.shared.ts ./
COPY packages/contracts/package.json packages/contracts/
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
# Only what the three processes run: the workspaces they import (dist, bin, the dashboard's assets) and their
# dependencies; not the demo, the example, the bench, the tests, nor any source.
RUN rm -rf apps/demo apps/example-subscriber bench test packages/test-support docs scripts \
      node_modules/@aiqum-jobs/demo node_modules/@aiqum-jobs/example-subscriber node_modules/@aiqum-jobs/bench \
      node_modules/@aiqum-jobs/system-tests node_modules/@aiqum-jobs/test-support \
 && find apps packages -mindepth 2 -maxdepth 2 \( -name src -o -name test -o -name 'tsconfig*.json' -o -name vitest.config.ts \) \
      -exec rm -rf {} +

FROM node:26-trixie-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app ./
USER node
# The producer's HTTP API, the worker's health port, the simulator.
EXPOSE 8080 8081 8443
CMD ["node", "--max-old-space-size=192", "apps/worker/bin/aiqum-worker.js"]
