import { Module } from '@nestjs/common';
import { VendorRegistry } from './vendor-registry.js';

/** The vendors (see `vendors.ts`) under the mapping in force. */
@Module({ providers: [VendorRegistry], exports: [VendorRegistry] })
export class VendorsModule {}
