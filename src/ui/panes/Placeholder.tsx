import { Box, Text } from 'ink';
import React from 'react';

const WHAT: Record<string, string> = {
  instances: 'EC2 instances of this environment (name, role, addresses, state) with SSH through the bastion',
  elbs: 'classic ELBs and ELBv2 with listeners and target health',
  secrets: 'the KMS-encrypted secrets bucket and SSM parameters, with view, edit, fetch and upload',
  cluster: 'the cluster from the kubeconfig in the secrets bucket: nodes, namespaces, unhealthy pods',
};

/** A pane that is not built yet: says what it will show, honestly. */
export function Placeholder({ pane, width, height }: { pane: string; width: number; height: number }): React.ReactElement {
  return (
    <Box flexDirection="column" width={width} height={height} paddingX={1}>
      <Text bold>Not built yet</Text>
      <Text wrap="wrap">{`This pane will show ${WHAT[pane] ?? pane}. It is planned work (see the issues); the Plan/Apply pane (1) works now.`}</Text>
    </Box>
  );
}
