// kafkajs 2.2.4 re-authenticating (KIP-368) on a real eddy broker with connections.max.reauth.ms,
// driven by ../test_sasl.py: one producer sends a record every 200 ms for SECONDS seconds over a
// SASL_PLAINTEXT listener with SCRAM-SHA-256. kafkajs re-authenticates on its connection once the
// session lifetime the broker sent (SaslAuthenticate v1) comes within reauthenticationThreshold.
//   node kafkajs_reauth.js BROKER TOPIC USER PASSWORD SECONDS
// Prints the number of records sent; exits non-zero on the first failed send.
'use strict'
const { Kafka, logLevel } = require('kafkajs')

const [broker, topic, username, password, seconds] = process.argv.slice(2)

async function main() {
  const kafka = new Kafka({
    clientId: 'eddy-int-kafkajs-reauth', brokers: [broker], logLevel: logLevel.WARN,
    retry: { retries: 0 }, connectionTimeout: 5000, requestTimeout: 15000,
    reauthenticationThreshold: 1000,
    sasl: { mechanism: 'scram-sha-256', username, password },
  })
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  const until = Date.now() + Number(seconds) * 1000
  let sent = 0
  while (Date.now() < until) {
    await producer.send({ topic, acks: -1, messages: [{ value: `kjs-${sent}` }] })
    sent += 1
    await new Promise(resolve => setTimeout(resolve, 200))
  }
  await producer.disconnect()
  console.log(JSON.stringify({ sent }))
}

main().catch(e => {
  console.error(e)
  process.exit(1)
})
