export { type FakeAnthropic, type FakeAnthropicOptions, type RecordedRequest, startFakeAnthropic } from './server.ts';
