// The `nest-cache-aside/terminus` entry point. Only modules under it import
// @nestjs/terminus, an optional peer dependency, and the main entry point imports none
// of them. ('./terminus' would resolve to this very file, hence '/index'.)
export * from './terminus/index';
