#!/usr/bin/env bash
# Fills corpus/<target>/ with a few valid inputs from the repository, so libFuzzer starts
# from real shapes. Run from fuzz/ after `cargo xtask provision` (for the deploy zip).
set -euo pipefail
root=..
seed() { mkdir -p "corpus/$1"; cp "$2" "corpus/$1/$(basename "$2")"; }
for file in "$root"/metadata-templates/*.xml; do
  seed metadata_xml "$file"
  seed metadata_template "$file"
done
seed metadata_config "$root/insights.toml"
for zip in "$root"/target/insights/generated/*.zip; do
  [ -f "$zip" ] && seed org_retrieve_zip "$zip" && seed emulator_deploy_zip "$zip"
done
mkdir -p corpus/emulator_soql corpus/emulator_soap_request corpus/org_soap_answer
printf "SELECT Id, Name FROM ConnectedApplication WHERE Name = 'Insights_API' LIMIT 1" > corpus/emulator_soql/q1
printf "select Id, Parent.Name from SetupEntityAccess where SetupEntityId = '0H4x' and IsActive = true" > corpus/emulator_soql/q2
zip64=$(base64 -w0 "$root/target/insights/generated/insights-deploy.zip" 2>/dev/null || printf UEs=)
printf '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header><SessionHeader xmlns="http://soap.sforce.com/2006/04/metadata"><sessionId>00D!x</sessionId></SessionHeader></soapenv:Header><soapenv:Body><deploy xmlns="http://soap.sforce.com/2006/04/metadata"><ZipFile>%s</ZipFile><DeployOptions><singlePackage>true</singlePackage></DeployOptions></deploy></soapenv:Body></soapenv:Envelope>' "$zip64" > corpus/emulator_soap_request/deploy
# First byte: 0 = HTTP 200, 1 = HTTP 500.
printf '\000<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><checkDeployStatusResponse><result><done>true</done><id>0Af000000000001</id><status>Failed</status><success>false</success><numberComponentErrors>1</numberComponentErrors><details><componentFailures><componentType>ConnectedApp</componentType><fullName>A</fullName><fileName>connectedApps/A.connectedApp</fileName><lineNumber>3</lineNumber><problem>x &amp; y</problem><problemType>Error</problemType></componentFailures></details></result></checkDeployStatusResponse></soapenv:Body></soapenv:Envelope>' > corpus/org_soap_answer/status
printf '\001<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>sf:INVALID_SESSION_ID</faultcode><faultstring>INVALID_SESSION_ID: Invalid Session ID</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>' > corpus/org_soap_answer/fault
printf '\000<Envelope><Body><readMetadataResponse><result><records><fullName>A</fullName><label>L</label><oauthConfig><scopes>Api</scopes></oauthConfig></records></result></readMetadataResponse></Body></Envelope>' > corpus/org_soap_answer/read
