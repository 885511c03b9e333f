// kafkajs 2.2.4's admin.createAcls / describeAcls / deleteAcls against an eddy broker with an
// authorizer, as a super user on its PLAINTEXT listener: a created ACL is described back with its
// fields, a host name is refused (INVALID_REQUEST), and deleting it empties the listing. Driven by
// ../test_acl.py.
//   node kafkajs_acl.js BROKER TOPIC
// Prints one JSON line; exits non-zero on the first failed check.
'use strict'
const assert = require('node:assert/strict')
const { Kafka, logLevel, AclResourceTypes, AclOperationTypes, AclPermissionTypes,
  ResourcePatternTypes } = require('kafkajs')

const [broker, topic] = process.argv.slice(2)

async function main() {
  const kafka = new Kafka({ clientId: 'eddy-kafkajs-acl', brokers: [broker], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  const acl = {
    resourceType: AclResourceTypes.TOPIC, resourceName: topic,
    resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:CN=kjs', host: '*',
    operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW,
  }
  assert.equal(await admin.createAcls({ acl: [acl] }), true)
  const filter = {
    resourceType: AclResourceTypes.TOPIC, resourceName: topic,
    resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  }
  const described = await admin.describeAcls(filter)
  assert.deepEqual(described.resources.map(r => [r.resourceType, r.resourceName,
    r.resourcePatternType, r.acls.map(a => [a.principal, a.host, a.operation, a.permissionType])]),
  [[AclResourceTypes.TOPIC, topic, ResourcePatternTypes.LITERAL,
    [['User:CN=kjs', '*', AclOperationTypes.READ, AclPermissionTypes.ALLOW]]]])
  let refused = null
  try {
    await admin.createAcls({ acl: [{ ...acl, host: 'some.host' }] })
  } catch (e) {
    refused = e.type || e.name
  }
  assert.ok(refused, 'an ACL with a host name was accepted')
  const deleted = await admin.deleteAcls({ filters: [filter] })
  assert.equal(deleted.filterResponses[0].matchingAcls.length, 1)
  const after = await admin.describeAcls(filter)
  assert.equal(after.resources.length, 0)
  await admin.disconnect()
  console.log(JSON.stringify({ ok: true, refused }))
}

main().catch(e => { console.error(e.stack || e); process.exit(1) })
