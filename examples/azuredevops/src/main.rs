//! The plugin's binary: DevLake's remote-plugin protocol for [`azuredevops::AzureDevOpsPlugin`].

devlake::main!(azuredevops::AzureDevOpsPlugin);
