import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { Probe } from '@app/cache-aside/probe';
@Module({ providers: [Probe] })
class AppModule {}
async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  console.log(app.get(Probe).hi());
  await app.close();
}
void bootstrap();
