import { Injectable } from '@nestjs/common';
@Injectable()
export class Probe { hi() { return 1; } }
