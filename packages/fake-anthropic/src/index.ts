export { startFakeAnthropic, type FakeAnthropic, type FakeAnthropicOptions, type RecordedRequest } from './server.ts';
