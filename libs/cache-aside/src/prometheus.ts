// The `nest-cache-aside/prometheus` entry point. Only modules under it import
// prom-client, an optional peer dependency, and the main entry point imports none of
// them. ('./prometheus' would resolve to this very file, hence '/index'.)
export * from './prometheus/index';
