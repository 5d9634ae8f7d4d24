//! A table of principal × action × policy cases for KMS key policies and the IAM policies that
//! go with them.
//!
//! The documents are the examples of the AWS KMS Developer Guide (default key policy, the
//! console's key policy with key administrators and key users, the `aws/ebs` managed key,
//! CloudTrail's key policy, the condition-key pages) and of the IAM User Guide, written out as
//! AWS publishes them (statement snippets wrapped in a document). The expected outcomes follow
//! AWS's documented behaviour, not this crate's.
//!
//! Every row is evaluated by one test, which reports every failing row by name.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};

use kmsd_policy::{
    AllowedPrincipalMatch, ContextMap, Evaluation, PolicyDocument, PolicyKind, Principal, Request,
};

// ---------------------------------------------------------------------------------------------
// Expected outcomes.

/// An `Allow` statement names the caller itself (its ARN, its role, `*`, or — for an account's
/// root user — its account).
const NAMED: Evaluation = Evaluation {
    explicit_deny: false,
    allow: Some(AllowedPrincipalMatch::Principal),
};
/// Only a statement naming the caller's account allows: AWS delegates to the account's IAM
/// policies.
const ACCOUNT: Evaluation = Evaluation {
    explicit_deny: false,
    allow: Some(AllowedPrincipalMatch::Account),
};
/// No statement applies.
const NOTHING: Evaluation = Evaluation {
    explicit_deny: false,
    allow: None,
};
/// A `Deny` statement applies.
const DENIED: Evaluation = Evaluation {
    explicit_deny: true,
    allow: None,
};

// ---------------------------------------------------------------------------------------------
// Accounts, resources and principals.

const ACCT: &str = "111122223333";
const EXT: &str = "444455556666";

const KEY: &str = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const OTHER_KEY: &str =
    "arn:aws:kms:us-west-2:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321";
const EXT_KEY: &str = "arn:aws:kms:us-west-2:444455556666:key/abcd1234-ab12-cd34-ef56-abcdef123456";
const ALIAS_ARN: &str = "arn:aws:kms:us-west-2:111122223333:alias/finance-key";
/// The resource of actions that have none (`kms:CreateKey`, `kms:ListKeys`).
const NO_RESOURCE: &str = "*";

const ROOT: Principal<'static> = Principal::new("arn:aws:iam::111122223333:root", ACCT);
const ALICE: Principal<'static> = Principal::new("arn:aws:iam::111122223333:user/Alice", ACCT);
const EXAMPLE_USER: Principal<'static> =
    Principal::new("arn:aws:iam::111122223333:user/ExampleUser", ACCT);
/// A user with a path: `aws:username` is the last segment.
const PATH_USER: Principal<'static> = Principal::new(
    "arn:aws:iam::111122223333:user/division_abc/subdivision_xyz/Bob",
    ACCT,
);
const ADMIN_USER: Principal<'static> =
    Principal::new("arn:aws:iam::111122223333:user/KMSAdminUser", ACCT);
const ADMIN_SESSION: Principal<'static> = Principal::assumed_role(
    "arn:aws:sts::111122223333:assumed-role/KMSAdminRole/admin-session",
    ACCT,
    "arn:aws:iam::111122223333:role/KMSAdminRole",
);
const ADMIN_OTHER_SESSION: Principal<'static> = Principal::assumed_role(
    "arn:aws:sts::111122223333:assumed-role/KMSAdminRole/other-session",
    ACCT,
    "arn:aws:iam::111122223333:role/KMSAdminRole",
);
const ROLE_SESSION: Principal<'static> = Principal::assumed_role(
    "arn:aws:sts::111122223333:assumed-role/ExampleRole/app-session",
    ACCT,
    "arn:aws:iam::111122223333:role/ExampleRole",
);
const ROLE_DEV_SESSION: Principal<'static> = Principal::assumed_role(
    "arn:aws:sts::111122223333:assumed-role/ExampleRoleDev/dev-session",
    ACCT,
    "arn:aws:iam::111122223333:role/ExampleRoleDev",
);
/// A role with a path: its ARN is `role/team/ExampleRole`, so `role/ExampleRole*` misses it.
const PATH_ROLE_SESSION: Principal<'static> = Principal::assumed_role(
    "arn:aws:sts::111122223333:assumed-role/ExampleRole/pathed",
    ACCT,
    "arn:aws:iam::111122223333:role/team/ExampleRole",
);
const EXT_ROOT: Principal<'static> = Principal::new("arn:aws:iam::444455556666:root", EXT);
const EXT_USER: Principal<'static> = Principal::new("arn:aws:iam::444455556666:user/Bob", EXT);
const EXT_ROLE_SESSION: Principal<'static> = Principal::assumed_role(
    "arn:aws:sts::444455556666:assumed-role/ExampleRole/partner-session",
    EXT,
    "arn:aws:iam::444455556666:role/ExampleRole",
);
const EXT_OTHER_ROLE_SESSION: Principal<'static> = Principal::assumed_role(
    "arn:aws:sts::444455556666:assumed-role/OtherRole/partner-session",
    EXT,
    "arn:aws:iam::444455556666:role/OtherRole",
);
const STRANGER: Principal<'static> =
    Principal::new("arn:aws:iam::777788889999:user/Mallory", "777788889999");
const CLOUDTRAIL: Principal<'static> = Principal::new("cloudtrail.amazonaws.com", "");

// ---------------------------------------------------------------------------------------------
// The documents.

/// The default key policy: what `CreateKey` applies when the request has no policy.
const KEY_DEFAULT_1: &str = r#"{
  "Version": "2012-10-17",
  "Id": "key-default-1",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    }
  ]
}"#;

/// The key policy the KMS console writes: the account, key administrators, key users (one of
/// them another account) and the grant statement for AWS services.
const KEY_CONSOLEPOLICY_3: &str = r#"{
  "Id": "key-consolepolicy-3",
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "Allow access for Key Administrators",
      "Effect": "Allow",
      "Principal": {"AWS": [
        "arn:aws:iam::111122223333:user/KMSAdminUser",
        "arn:aws:iam::111122223333:role/KMSAdminRole"
      ]},
      "Action": [
        "kms:Create*",
        "kms:Describe*",
        "kms:Enable*",
        "kms:List*",
        "kms:Put*",
        "kms:Update*",
        "kms:Revoke*",
        "kms:Disable*",
        "kms:Get*",
        "kms:Delete*",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:ScheduleKeyDeletion",
        "kms:CancelKeyDeletion",
        "kms:RotateKeyOnDemand"
      ],
      "Resource": "*"
    },
    {
      "Sid": "Allow use of the key",
      "Effect": "Allow",
      "Principal": {"AWS": [
        "arn:aws:iam::111122223333:user/ExampleUser",
        "arn:aws:iam::111122223333:role/ExampleRole",
        "arn:aws:iam::444455556666:root"
      ]},
      "Action": [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey"
      ],
      "Resource": "*"
    },
    {
      "Sid": "Allow attachment of persistent resources",
      "Effect": "Allow",
      "Principal": {"AWS": [
        "arn:aws:iam::111122223333:user/ExampleUser",
        "arn:aws:iam::111122223333:role/ExampleRole",
        "arn:aws:iam::444455556666:root"
      ]},
      "Action": [
        "kms:CreateGrant",
        "kms:ListGrants",
        "kms:RevokeGrant"
      ],
      "Resource": "*",
      "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    }
  ]
}"#;

/// The console policy without "Enable IAM User Permissions": AWS documents that IAM policies
/// then grant nothing, so only the named administrators and users have access.
const CONSOLE_WITHOUT_ACCOUNT: &str = r#"{
  "Version": "2012-10-17",
  "Id": "key-consolepolicy-without-account",
  "Statement": [
    {
      "Sid": "Allow access for Key Administrators",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/KMSAdminRole"},
      "Action": [
        "kms:Create*",
        "kms:Describe*",
        "kms:Enable*",
        "kms:List*",
        "kms:Put*",
        "kms:Update*",
        "kms:Revoke*",
        "kms:Disable*",
        "kms:Get*",
        "kms:Delete*",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:ScheduleKeyDeletion",
        "kms:CancelKeyDeletion",
        "kms:RotateKeyOnDemand"
      ],
      "Resource": "*"
    },
    {
      "Sid": "Allow use of the key",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/ExampleRole"},
      "Action": [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey"
      ],
      "Resource": "*"
    }
  ]
}"#;

/// Cross-account access through a role of the other account ("Allowing users in other accounts
/// to use a KMS key").
const CROSS_ACCOUNT_ROLE: &str = r#"{
  "Version": "2012-10-17",
  "Id": "key-cross-account-role",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "Allow an external account to use this KMS key",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::444455556666:role/ExampleRole"},
      "Action": [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey"
      ],
      "Resource": "*"
    }
  ]
}"#;

/// `kms:EncryptionContext:context-key` with `StringEquals`.
const EC_DEPARTMENT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/ExampleRole"},
      "Action": "kms:Decrypt",
      "Resource": "*",
      "Condition": {
        "StringEquals": {"kms:EncryptionContext:Department": "IT"}
      }
    }
  ]
}"#;

/// Only the listed encryption context keys (`ForAllValues:StringEquals`).
const EC_KEYS_ALLOWLIST: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/ExampleRole"},
      "Action": ["kms:Encrypt", "kms:GenerateDataKey*"],
      "Resource": "*",
      "Condition": {
        "ForAllValues:StringEquals": {
          "kms:EncryptionContextKeys": ["Department", "Project"]
        }
      }
    }
  ]
}"#;

/// The same, with the `Null` condition AWS recommends so that an empty context is refused.
const EC_KEYS_ALLOWLIST_REQUIRED: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/ExampleRole"},
      "Action": ["kms:Encrypt", "kms:GenerateDataKey*"],
      "Resource": "*",
      "Condition": {
        "ForAllValues:StringEquals": {
          "kms:EncryptionContextKeys": ["Department", "Project"]
        },
        "Null": {"kms:EncryptionContextKeys": "false"}
      }
    }
  ]
}"#;

/// An encryption context key that must be present (`ForAnyValue:StringEquals`).
const EC_KEYS_ANY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/ExampleRole"},
      "Action": "kms:Decrypt",
      "Resource": "*",
      "Condition": {
        "ForAnyValue:StringEquals": {"kms:EncryptionContextKeys": "Department"}
      }
    }
  ]
}"#;

/// `StringEqualsIfExists` on an encryption context key.
const EC_IF_EXISTS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/ExampleRole"},
      "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
      "Resource": "*",
      "Condition": {
        "StringEqualsIfExists": {"kms:EncryptionContext:Department": "IT"}
      }
    }
  ]
}"#;

/// Refuse cryptographic operations without an encryption context (`Null` … `true` in a Deny).
const EC_REQUIRED_DENY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "DenyWithoutEncryptionContext",
      "Effect": "Deny",
      "Principal": "*",
      "Action": ["kms:Encrypt", "kms:GenerateDataKey*"],
      "Resource": "*",
      "Condition": {"Null": {"kms:EncryptionContextKeys": "true"}}
    }
  ]
}"#;

/// `kms:GrantOperations` with `ForAllValues:StringEquals`.
const GRANT_OPERATIONS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/ExampleRole"},
      "Action": "kms:CreateGrant",
      "Resource": "*",
      "Condition": {
        "ForAllValues:StringEquals": {"kms:GrantOperations": ["Encrypt", "Decrypt"]}
      }
    }
  ]
}"#;

/// `kms:GrantConstraintType`: grants must carry an `EncryptionContextEquals` constraint.
const GRANT_CONSTRAINT_TYPE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/ExampleRole"},
      "Action": "kms:CreateGrant",
      "Resource": "*",
      "Condition": {
        "StringEquals": {"kms:GrantConstraintType": "EncryptionContextEquals"}
      }
    }
  ]
}"#;

/// `kms:GranteePrincipal`.
const GRANTEE_PRINCIPAL: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:user/ExampleUser"},
      "Action": "kms:CreateGrant",
      "Resource": "*",
      "Condition": {
        "StringEquals": {"kms:GranteePrincipal": "arn:aws:iam::111122223333:role/ExampleRole"}
      }
    }
  ]
}"#;

/// `kms:RetiringPrincipal`.
const RETIRING_PRINCIPAL: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:user/ExampleUser"},
      "Action": "kms:CreateGrant",
      "Resource": "*",
      "Condition": {
        "StringEquals": {"kms:RetiringPrincipal": [
          "arn:aws:iam::111122223333:role/ExampleRole",
          "arn:aws:iam::111122223333:user/KMSAdminUser"
        ]}
      }
    }
  ]
}"#;

/// The key policy of the AWS managed key for Amazon EBS (`aws/ebs`).
const AUTO_EBS_2: &str = r#"{
  "Version": "2012-10-17",
  "Id": "auto-ebs-2",
  "Statement": [
    {
      "Sid": "Allow access through EBS for all principals in the account that are authorized to use EBS",
      "Effect": "Allow",
      "Principal": {"AWS": "*"},
      "Action": [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:CreateGrant",
        "kms:DescribeKey"
      ],
      "Resource": "*",
      "Condition": {
        "StringEquals": {
          "kms:CallerAccount": "111122223333",
          "kms:ViaService": "ec2.us-west-2.amazonaws.com"
        }
      }
    },
    {
      "Sid": "Allow direct access to key metadata to the account",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": [
        "kms:Describe*",
        "kms:Get*",
        "kms:List*",
        "kms:RevokeGrant"
      ],
      "Resource": "*"
    }
  ]
}"#;

/// `kms:ViaService` in a Deny: the key may not be used through Lambda.
const DENY_VIA_LAMBDA: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Effect": "Deny",
      "Principal": {"AWS": "arn:aws:iam::111122223333:user/ExampleUser"},
      "Action": [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*"
      ],
      "Resource": "*",
      "Condition": {
        "StringEquals": {"kms:ViaService": "lambda.us-east-1.amazonaws.com"}
      }
    }
  ]
}"#;

/// `kms:RequestAlias` in a key policy.
const REQUEST_ALIAS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Key policy using a request alias condition",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/ExampleRole"},
      "Action": [
        "kms:Decrypt",
        "kms:GenerateDataKey*",
        "kms:DescribeKey"
      ],
      "Resource": "*",
      "Condition": {
        "StringEquals": {"kms:RequestAlias": "alias/finance-key"}
      }
    }
  ]
}"#;

/// `kms:ResourceAliases` in an IAM policy (attribute-based access with aliases).
const RESOURCE_ALIASES: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AliasBasedIAMPolicy",
      "Effect": "Allow",
      "Action": ["kms:Encrypt", "kms:Decrypt"],
      "Resource": ["arn:aws:kms:*:111122223333:key/*"],
      "Condition": {
        "ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/finance*"}
      }
    }
  ]
}"#;

/// `aws:ResourceTag/tag-key` in an IAM policy (attribute-based access with tags).
const RESOURCE_TAG: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "IAMPolicyWithResourceTag",
      "Effect": "Allow",
      "Action": [
        "kms:GenerateDataKey",
        "kms:Encrypt",
        "kms:Decrypt"
      ],
      "Resource": "arn:aws:kms:*:111122223333:key/*",
      "Condition": {
        "StringEquals": {"aws:ResourceTag/Project": "Alpha"}
      }
    }
  ]
}"#;

/// The resource tag must equal the caller's own tag (a policy variable).
const RESOURCE_TAG_MATCHES_PRINCIPAL_TAG: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["kms:Encrypt", "kms:Decrypt"],
      "Resource": "arn:aws:kms:*:111122223333:key/*",
      "Condition": {
        "StringEquals": {"aws:ResourceTag/Project": "${aws:PrincipalTag/Project}"}
      }
    }
  ]
}"#;

/// `aws:RequestTag/tag-key` and `aws:TagKeys` when creating and tagging keys.
const REQUEST_TAGS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["kms:CreateKey", "kms:TagResource"],
      "Resource": "*",
      "Condition": {
        "StringEquals": {"aws:RequestTag/Project": ["Alpha", "Beta"]},
        "ForAllValues:StringEquals": {"aws:TagKeys": ["Project", "Cost-Center"]}
      }
    }
  ]
}"#;

/// "AWS: Denies access to AWS based on the source IP".
const SOURCE_IP_DENY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Deny",
    "Action": "*",
    "Resource": "*",
    "Condition": {
      "NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]},
      "Bool": {"aws:ViaAWSService": "false"}
    }
  }
}"#;

/// `IpAddress` with IPv4 and IPv6 networks in a key policy.
const SOURCE_IP_ALLOW: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AllowFromCorporateNetworks",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/ExampleRole"},
      "Action": ["kms:Encrypt", "kms:Decrypt"],
      "Resource": "*",
      "Condition": {
        "IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:DB8:1234:5678::/64"]}
      }
    }
  ]
}"#;

/// `aws:SecureTransport`: refuse requests that did not use TLS.
const SECURE_TRANSPORT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "DenyInsecureTransport",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "kms:*",
      "Resource": "*",
      "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    }
  ]
}"#;

/// `aws:PrincipalArn` with `ArnLike` wildcards, and `kms:CallerAccount`, with `Principal` `*`.
const PRINCIPAL_ARN_LIKE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AllowExampleRoles",
      "Effect": "Allow",
      "Principal": {"AWS": "*"},
      "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
      "Resource": "*",
      "Condition": {
        "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/ExampleRole*"},
        "StringEquals": {"kms:CallerAccount": "111122223333"}
      }
    }
  ]
}"#;

/// Only administrator roles (and the account root) may delete the key or change its policy.
const DENY_EXCEPT_ADMIN_ARNS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "DenyDeletionExceptAdministrators",
      "Effect": "Deny",
      "Principal": "*",
      "Action": ["kms:ScheduleKeyDeletion", "kms:PutKeyPolicy"],
      "Resource": "*",
      "Condition": {
        "ArnNotLike": {"aws:PrincipalArn": [
          "arn:aws:iam::111122223333:role/KMSAdmin*",
          "arn:aws:iam::111122223333:root"
        ]}
      }
    }
  ]
}"#;

/// `aws:PrincipalType`: IAM users (long-term credentials) may not decrypt.
const PRINCIPAL_TYPE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "DenyDecryptToIAMUsers",
      "Effect": "Deny",
      "Principal": {"AWS": "*"},
      "Action": "kms:Decrypt",
      "Resource": "*",
      "Condition": {"StringEquals": {"aws:PrincipalType": "User"}}
    }
  ]
}"#;

/// `kms:EncryptionAlgorithm` on an RSA key.
const ENCRYPTION_ALGORITHM: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Allow only one encryption algorithm with this asymmetric KMS key",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/ExampleRole"},
      "Action": ["kms:Encrypt", "kms:Decrypt"],
      "Resource": "*",
      "Condition": {
        "StringEquals": {"kms:EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}
      }
    }
  ]
}"#;

/// `kms:KeySpec`, `kms:KeyUsage` and `kms:KeyOrigin` on `CreateKey`.
const CREATE_KEY_PROPERTIES: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "kms:CreateKey",
      "Resource": "*",
      "Condition": {
        "StringLike": {"kms:KeySpec": "RSA_*"},
        "StringEquals": {
          "kms:KeyUsage": "ENCRYPT_DECRYPT",
          "kms:KeyOrigin": "AWS_KMS"
        }
      }
    }
  ]
}"#;

/// `kms:SigningAlgorithm` and `kms:MessageType` on a signing key.
const SIGNING: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/ExampleRole"},
      "Action": ["kms:Sign", "kms:Verify"],
      "Resource": "*",
      "Condition": {
        "StringLike": {"kms:SigningAlgorithm": "RSASSA_PSS*"}
      }
    },
    {
      "Effect": "Deny",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/ExampleRole"},
      "Action": "kms:Sign",
      "Resource": "*",
      "Condition": {
        "StringEquals": {"kms:MessageType": "DIGEST"}
      }
    }
  ]
}"#;

/// `kms:MacAlgorithm` on an HMAC key.
const MAC_ALGORITHM: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/ExampleRole"},
      "Action": ["kms:GenerateMac", "kms:VerifyMac"],
      "Resource": "*",
      "Condition": {
        "StringEquals": {"kms:MacAlgorithm": ["HMAC_SHA_384", "HMAC_SHA_512"]}
      }
    }
  ]
}"#;

/// `kms:DataKeyPairSpec`.
const DATA_KEY_PAIR_SPEC: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/ExampleRole"},
      "Action": [
        "kms:GenerateDataKeyPair",
        "kms:GenerateDataKeyPairWithoutPlaintext"
      ],
      "Resource": "*",
      "Condition": {
        "StringEquals": {"kms:DataKeyPairSpec": ["RSA_4096", "ECC_NIST_P384"]}
      }
    }
  ]
}"#;

/// `kms:RotationPeriodInDays` (`NumericLessThanEquals`).
const ROTATION_PERIOD: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/KMSAdminRole"},
      "Action": "kms:EnableKeyRotation",
      "Resource": "*",
      "Condition": {
        "NumericLessThanEquals": {"kms:RotationPeriodInDays": "180"}
      }
    }
  ]
}"#;

/// `kms:ScheduleKeyDeletionPendingWindowInDays` (`NumericGreaterThanEquals`).
const PENDING_WINDOW: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/KMSAdminRole"},
      "Action": "kms:ScheduleKeyDeletion",
      "Resource": "*",
      "Condition": {
        "NumericGreaterThanEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": "21"}
      }
    }
  ]
}"#;

/// `aws:CurrentTime` with `DateGreaterThan`.
const CURRENT_TIME: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/ExampleRole"},
      "Action": "kms:Decrypt",
      "Resource": "*",
      "Condition": {
        "DateGreaterThan": {"aws:CurrentTime": "2025-06-30T00:00:00Z"}
      }
    }
  ]
}"#;

/// `${aws:username}` in a condition value.
const USERNAME_VARIABLE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["kms:Encrypt", "kms:GenerateDataKey*"],
      "Resource": "arn:aws:kms:*:111122223333:key/*",
      "Condition": {
        "StringEquals": {"kms:EncryptionContext:Owner": "${aws:username}"}
      }
    }
  ]
}"#;

/// The same in a `2008-10-17` policy, where `${…}` is plain text.
const USERNAME_VARIABLE_2008: &str = r#"{
  "Version": "2008-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["kms:Encrypt", "kms:GenerateDataKey*"],
      "Resource": "arn:aws:kms:*:111122223333:key/*",
      "Condition": {
        "StringEquals": {"kms:EncryptionContext:Owner": "${aws:username}"}
      }
    }
  ]
}"#;

/// A Deny with `NotPrincipal` that lists a session, its role and its account, as AWS says it
/// must.
const NOT_PRINCIPAL_DENY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "DenyDeletionToAllButTheAdminSession",
      "Effect": "Deny",
      "NotPrincipal": {"AWS": [
        "arn:aws:sts::111122223333:assumed-role/KMSAdminRole/admin-session",
        "arn:aws:iam::111122223333:role/KMSAdminRole",
        "arn:aws:iam::111122223333:root"
      ]},
      "Action": ["kms:ScheduleKeyDeletion", "kms:DisableKey"],
      "Resource": "*"
    }
  ]
}"#;

/// A Deny with `NotPrincipal` that forgets the account: AWS documents that it then denies the
/// listed user too.
const NOT_PRINCIPAL_WITHOUT_ACCOUNT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Effect": "Deny",
      "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:user/KMSAdminUser"},
      "Action": "kms:*",
      "Resource": "*"
    }
  ]
}"#;

/// A Deny with `NotPrincipal` naming only the account: it spares the account's root user
/// alone, since a user's or a session's own ARN is not listed.
const NOT_PRINCIPAL_ACCOUNT_ONLY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Effect": "Deny",
      "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    }
  ]
}"#;

/// IAM's `AWSRevokeOlderSessions` inline policy (revoking a role's active sessions).
const REVOKE_OLDER_SESSIONS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Deny",
    "Action": ["*"],
    "Resource": ["*"],
    "Condition": {
      "DateLessThan": {"aws:TokenIssueTime": "2025-06-30T12:00:00Z"}
    }
  }
}"#;

/// A Deny beats every Allow, whoever it names.
const DENY_BEATS_ALLOW: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "AllowEverythingToExampleRole",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/ExampleRole"},
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "DenyKeyDeletion",
      "Effect": "Deny",
      "Principal": {"AWS": "*"},
      "Action": ["kms:ScheduleKeyDeletion", "kms:DisableKey"],
      "Resource": "*"
    }
  ]
}"#;

/// A Deny naming another account applies to every principal of that account.
const DENY_ACCOUNT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": ["111122223333", "444455556666"]},
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Effect": "Deny",
      "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
      "Action": "kms:Decrypt",
      "Resource": "*"
    }
  ]
}"#;

/// `NotAction` in an Allow and in a Deny.
const NOT_ACTION: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "AllowAllButDestructiveActions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/ExampleRole"},
      "NotAction": ["kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:Delete*"],
      "Resource": "*"
    },
    {
      "Sid": "DenyAllButCryptography",
      "Effect": "Deny",
      "Principal": {"AWS": "arn:aws:iam::111122223333:user/ExampleUser"},
      "NotAction": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"],
      "Resource": "*"
    }
  ]
}"#;

/// The key policy CloudTrail needs to encrypt log files (service principal, `aws:SourceArn`,
/// an encryption context key with colons in its name).
const CLOUDTRAIL_KEY_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Id": "Key policy created by CloudTrail",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "Allow CloudTrail to encrypt logs",
      "Effect": "Allow",
      "Principal": {"Service": "cloudtrail.amazonaws.com"},
      "Action": "kms:GenerateDataKey*",
      "Resource": "*",
      "Condition": {
        "StringEquals": {
          "aws:SourceArn": "arn:aws:cloudtrail:us-west-2:111122223333:trail/TrailName"
        },
        "StringLike": {
          "kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:111122223333:trail/*"
        }
      }
    },
    {
      "Sid": "Allow CloudTrail to describe key",
      "Effect": "Allow",
      "Principal": {"Service": "cloudtrail.amazonaws.com"},
      "Action": "kms:DescribeKey",
      "Resource": "*"
    }
  ]
}"#;

/// Deletion only with MFA (`BoolIfExists`, the IAM guide's pattern).
const MFA_FOR_DELETION: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "DenyDeletionWithoutMFA",
      "Effect": "Deny",
      "Principal": "*",
      "Action": ["kms:ScheduleKeyDeletion", "kms:DisableKey"],
      "Resource": "*",
      "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    }
  ]
}"#;

/// Only principals of this account (`StringNotEquals` on `aws:PrincipalAccount` in a Deny).
const DENY_OTHER_ACCOUNTS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": "*",
      "Action": "kms:DescribeKey",
      "Resource": "*"
    },
    {
      "Effect": "Deny",
      "Principal": "*",
      "Action": "kms:*",
      "Resource": "*",
      "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "111122223333"}}
    }
  ]
}"#;

/// Principals of an AWS Organization (`aws:PrincipalOrgID`).
const ORGANIZATION: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AllowUseWithinTheOrganization",
      "Effect": "Allow",
      "Principal": "*",
      "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"],
      "Resource": "*",
      "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
    }
  ]
}"#;

/// Only the approved Regions (`aws:RequestedRegion`, an IAM policy).
const REGION_GUARD: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "DenyOutsideApprovedRegions",
      "Effect": "Deny",
      "Action": "kms:*",
      "Resource": "*",
      "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-west-2", "eu-west-1"]}}
    }
  ]
}"#;

/// Keys of one account, except one (an IAM policy with `NotResource` in a Deny).
const NOT_RESOURCE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListKeys"],
      "Resource": "*"
    },
    {
      "Effect": "Deny",
      "Action": ["kms:Encrypt", "kms:Decrypt"],
      "NotResource": "arn:aws:kms:us-west-2:111122223333:key/1234abcd-*"
    }
  ]
}"#;

const DOCUMENTS: &[(&str, PolicyKind, &str)] = &[
    ("key-default-1", PolicyKind::Resource, KEY_DEFAULT_1),
    (
        "key-consolepolicy-3",
        PolicyKind::Resource,
        KEY_CONSOLEPOLICY_3,
    ),
    (
        "console-without-account",
        PolicyKind::Resource,
        CONSOLE_WITHOUT_ACCOUNT,
    ),
    (
        "cross-account-role",
        PolicyKind::Resource,
        CROSS_ACCOUNT_ROLE,
    ),
    ("ec-department", PolicyKind::Resource, EC_DEPARTMENT),
    ("ec-keys-allowlist", PolicyKind::Resource, EC_KEYS_ALLOWLIST),
    (
        "ec-keys-allowlist-required",
        PolicyKind::Resource,
        EC_KEYS_ALLOWLIST_REQUIRED,
    ),
    ("ec-keys-any", PolicyKind::Resource, EC_KEYS_ANY),
    ("ec-if-exists", PolicyKind::Resource, EC_IF_EXISTS),
    ("ec-required-deny", PolicyKind::Resource, EC_REQUIRED_DENY),
    ("grant-operations", PolicyKind::Resource, GRANT_OPERATIONS),
    (
        "grant-constraint-type",
        PolicyKind::Resource,
        GRANT_CONSTRAINT_TYPE,
    ),
    ("grantee-principal", PolicyKind::Resource, GRANTEE_PRINCIPAL),
    (
        "retiring-principal",
        PolicyKind::Resource,
        RETIRING_PRINCIPAL,
    ),
    ("auto-ebs-2", PolicyKind::Resource, AUTO_EBS_2),
    ("deny-via-lambda", PolicyKind::Resource, DENY_VIA_LAMBDA),
    ("request-alias", PolicyKind::Resource, REQUEST_ALIAS),
    ("resource-aliases", PolicyKind::Identity, RESOURCE_ALIASES),
    ("resource-tag", PolicyKind::Identity, RESOURCE_TAG),
    (
        "resource-tag-principal-tag",
        PolicyKind::Identity,
        RESOURCE_TAG_MATCHES_PRINCIPAL_TAG,
    ),
    ("request-tags", PolicyKind::Identity, REQUEST_TAGS),
    ("source-ip-deny", PolicyKind::Identity, SOURCE_IP_DENY),
    ("source-ip-allow", PolicyKind::Resource, SOURCE_IP_ALLOW),
    ("secure-transport", PolicyKind::Resource, SECURE_TRANSPORT),
    (
        "principal-arn-like",
        PolicyKind::Resource,
        PRINCIPAL_ARN_LIKE,
    ),
    (
        "deny-except-admin-arns",
        PolicyKind::Resource,
        DENY_EXCEPT_ADMIN_ARNS,
    ),
    ("principal-type", PolicyKind::Resource, PRINCIPAL_TYPE),
    (
        "encryption-algorithm",
        PolicyKind::Resource,
        ENCRYPTION_ALGORITHM,
    ),
    (
        "create-key-properties",
        PolicyKind::Identity,
        CREATE_KEY_PROPERTIES,
    ),
    ("signing", PolicyKind::Resource, SIGNING),
    ("mac-algorithm", PolicyKind::Resource, MAC_ALGORITHM),
    (
        "data-key-pair-spec",
        PolicyKind::Resource,
        DATA_KEY_PAIR_SPEC,
    ),
    ("rotation-period", PolicyKind::Resource, ROTATION_PERIOD),
    ("pending-window", PolicyKind::Resource, PENDING_WINDOW),
    ("current-time", PolicyKind::Resource, CURRENT_TIME),
    ("username-variable", PolicyKind::Identity, USERNAME_VARIABLE),
    (
        "username-variable-2008",
        PolicyKind::Identity,
        USERNAME_VARIABLE_2008,
    ),
    (
        "not-principal-deny",
        PolicyKind::Resource,
        NOT_PRINCIPAL_DENY,
    ),
    (
        "not-principal-without-account",
        PolicyKind::Resource,
        NOT_PRINCIPAL_WITHOUT_ACCOUNT,
    ),
    (
        "not-principal-account-only",
        PolicyKind::Resource,
        NOT_PRINCIPAL_ACCOUNT_ONLY,
    ),
    (
        "revoke-older-sessions",
        PolicyKind::Identity,
        REVOKE_OLDER_SESSIONS,
    ),
    ("deny-beats-allow", PolicyKind::Resource, DENY_BEATS_ALLOW),
    ("deny-account", PolicyKind::Resource, DENY_ACCOUNT),
    ("not-action", PolicyKind::Resource, NOT_ACTION),
    ("cloudtrail", PolicyKind::Resource, CLOUDTRAIL_KEY_POLICY),
    ("mfa-for-deletion", PolicyKind::Resource, MFA_FOR_DELETION),
    (
        "deny-other-accounts",
        PolicyKind::Resource,
        DENY_OTHER_ACCOUNTS,
    ),
    ("organization", PolicyKind::Resource, ORGANIZATION),
    ("region-guard", PolicyKind::Identity, REGION_GUARD),
    ("not-resource", PolicyKind::Identity, NOT_RESOURCE),
];

// ---------------------------------------------------------------------------------------------
// The table.

/// `(row name, principal, action, resource, context, expected)`.
///
/// The context is written `key=value[,value…]; key=…`; `key=` gives the key an empty value
/// list (which AWS treats like an absent key).
type Case = (
    &'static str,
    Principal<'static>,
    &'static str,
    &'static str,
    &'static str,
    Evaluation,
);

/// Rows grouped by the document they evaluate, one row a line.
#[rustfmt::skip]
const TABLE: &[(&str, &[Case])] = &[
    (
        "key-default-1",
        &[
            ("root encrypts", ROOT, "kms:Encrypt", KEY, "", NAMED),
            ("root schedules deletion", ROOT, "kms:ScheduleKeyDeletion", KEY, "", NAMED),
            ("root puts the key policy", ROOT, "kms:PutKeyPolicy", KEY, "", NAMED),
            ("root creates a key", ROOT, "kms:CreateKey", NO_RESOURCE, "", NAMED),
            ("user encrypts through IAM", EXAMPLE_USER, "kms:Encrypt", KEY, "", ACCOUNT),
            ("role session decrypts through IAM", ROLE_SESSION, "kms:Decrypt", KEY, "", ACCOUNT),
            ("admin session describes through IAM", ADMIN_SESSION, "kms:DescribeKey", KEY, "", ACCOUNT),
            ("action names ignore case", ALICE, "KMS:encrypt", KEY, "", ACCOUNT),
            ("kms:* does not cover IAM", ALICE, "iam:CreateUser", KEY, "", NOTHING),
            ("other account's user", EXT_USER, "kms:Encrypt", KEY, "", NOTHING),
            ("other account's root", EXT_ROOT, "kms:Encrypt", KEY, "", NOTHING),
            ("service principal is not the account", CLOUDTRAIL, "kms:Encrypt", KEY, "", NOTHING),
        ],
    ),
    (
        "key-consolepolicy-3",
        &[
            ("admin user describes", ADMIN_USER, "kms:DescribeKey", KEY, "", NAMED),
            ("admin session schedules deletion", ADMIN_SESSION, "kms:ScheduleKeyDeletion", KEY, "", NAMED),
            ("admin session cancels deletion", ADMIN_SESSION, "kms:CancelKeyDeletion", KEY, "", NAMED),
            ("admin session rotates on demand", ADMIN_SESSION, "kms:RotateKeyOnDemand", KEY, "", NAMED),
            ("admin session puts the key policy", ADMIN_SESSION, "kms:PutKeyPolicy", KEY, "", NAMED),
            ("admin session creates an alias", ADMIN_SESSION, "kms:CreateAlias", KEY, "", NAMED),
            ("admin session enables rotation", ADMIN_SESSION, "kms:EnableKeyRotation", KEY, "", NAMED),
            ("admin session disables the key", ADMIN_SESSION, "kms:DisableKey", KEY, "", NAMED),
            ("admin session gets the key policy", ADMIN_SESSION, "kms:GetKeyPolicy", KEY, "", NAMED),
            ("admin session lists tags", ADMIN_SESSION, "kms:ListResourceTags", KEY, "", NAMED),
            ("admin session updates the description", ADMIN_SESSION, "kms:UpdateKeyDescription", KEY, "", NAMED),
            ("admin session tags", ADMIN_SESSION, "kms:TagResource", KEY, "", NAMED),
            ("admin user untags", ADMIN_USER, "kms:UntagResource", KEY, "", NAMED),
            ("admin session revokes a grant", ADMIN_SESSION, "kms:RevokeGrant", KEY, "", NAMED),
            ("admin session deletes imported material", ADMIN_SESSION, "kms:DeleteImportedKeyMaterial", KEY, "", NAMED),
            ("admin user encrypts only through IAM", ADMIN_USER, "kms:Encrypt", KEY, "", ACCOUNT),
            ("admin session decrypts only through IAM", ADMIN_SESSION, "kms:Decrypt", KEY, "", ACCOUNT),
            ("admin session generates data keys only through IAM", ADMIN_SESSION, "kms:GenerateDataKey", KEY, "", ACCOUNT),
            ("admin session re-encrypts only through IAM", ADMIN_SESSION, "kms:ReEncryptFrom", KEY, "", ACCOUNT),
            ("key user encrypts", EXAMPLE_USER, "kms:Encrypt", KEY, "", NAMED),
            ("key user decrypts", EXAMPLE_USER, "kms:Decrypt", KEY, "", NAMED),
            ("key role re-encrypts from", ROLE_SESSION, "kms:ReEncryptFrom", KEY, "", NAMED),
            ("key role re-encrypts to", ROLE_SESSION, "kms:ReEncryptTo", KEY, "", NAMED),
            ("key role generates a data key without plaintext", ROLE_SESSION, "kms:GenerateDataKeyWithoutPlaintext", KEY, "", NAMED),
            ("key role generates a data key pair", ROLE_SESSION, "kms:GenerateDataKeyPairWithoutPlaintext", KEY, "", NAMED),
            ("key role describes", ROLE_SESSION, "kms:DescribeKey", KEY, "", NAMED),
            ("key role schedules deletion only through IAM", ROLE_SESSION, "kms:ScheduleKeyDeletion", KEY, "", ACCOUNT),
            ("key user puts the key policy only through IAM", EXAMPLE_USER, "kms:PutKeyPolicy", KEY, "", ACCOUNT),
            ("key user disables only through IAM", EXAMPLE_USER, "kms:DisableKey", KEY, "", ACCOUNT),
            ("key role grants for an AWS resource", ROLE_SESSION, "kms:CreateGrant", KEY, "kms:GrantIsForAWSResource=true", NAMED),
            ("key role grants not for an AWS resource", ROLE_SESSION, "kms:CreateGrant", KEY, "kms:GrantIsForAWSResource=false", ACCOUNT),
            ("key role grants without the grant key", ROLE_SESSION, "kms:CreateGrant", KEY, "", ACCOUNT),
            ("key role lists grants for an AWS resource", ROLE_SESSION, "kms:ListGrants", KEY, "kms:GrantIsForAWSResource=true", NAMED),
            ("key user revokes a grant for an AWS resource", EXAMPLE_USER, "kms:RevokeGrant", KEY, "kms:GrantIsForAWSResource=true", NAMED),
            ("key role retires only through IAM", ROLE_SESSION, "kms:RetireGrant", KEY, "kms:GrantIsForAWSResource=true", ACCOUNT),
            ("other account's user encrypts through its IAM", EXT_USER, "kms:Encrypt", KEY, "", ACCOUNT),
            ("other account's root decrypts", EXT_ROOT, "kms:Decrypt", KEY, "", NAMED),
            ("other account's role session encrypts through its IAM", EXT_ROLE_SESSION, "kms:Encrypt", KEY, "", ACCOUNT),
            ("other account's user cannot schedule deletion", EXT_USER, "kms:ScheduleKeyDeletion", KEY, "", NOTHING),
            ("other account's user cannot get the policy", EXT_USER, "kms:GetKeyPolicy", KEY, "", NOTHING),
            ("other account's user grants for an AWS resource", EXT_USER, "kms:CreateGrant", KEY, "kms:GrantIsForAWSResource=true", ACCOUNT),
            ("other account's user grants otherwise", EXT_USER, "kms:CreateGrant", KEY, "", NOTHING),
            ("a third account", STRANGER, "kms:Encrypt", KEY, "", NOTHING),
            ("root still does everything", ROOT, "kms:ScheduleKeyDeletion", KEY, "", NAMED),
            ("an unnamed user of the account", ALICE, "kms:Encrypt", KEY, "", ACCOUNT),
        ],
    ),
    (
        "console-without-account",
        &[
            ("admin session cannot encrypt", ADMIN_SESSION, "kms:Encrypt", KEY, "", NOTHING),
            ("admin session cannot decrypt", ADMIN_SESSION, "kms:Decrypt", KEY, "", NOTHING),
            ("admin session schedules deletion", ADMIN_SESSION, "kms:ScheduleKeyDeletion", KEY, "", NAMED),
            ("admin session describes", ADMIN_SESSION, "kms:DescribeKey", KEY, "", NAMED),
            ("key role encrypts", ROLE_SESSION, "kms:Encrypt", KEY, "", NAMED),
            ("key role cannot schedule deletion", ROLE_SESSION, "kms:ScheduleKeyDeletion", KEY, "", NOTHING),
            ("key role cannot put the key policy", ROLE_SESSION, "kms:PutKeyPolicy", KEY, "", NOTHING),
            ("IAM policies count for nothing", ALICE, "kms:Encrypt", KEY, "", NOTHING),
            ("not even the root user", ROOT, "kms:Encrypt", KEY, "", NOTHING),
        ],
    ),
    (
        "cross-account-role",
        &[
            ("the named external role decrypts", EXT_ROLE_SESSION, "kms:Decrypt", KEY, "", NAMED),
            ("the named external role generates data keys", EXT_ROLE_SESSION, "kms:GenerateDataKey", KEY, "", NAMED),
            ("the external role cannot schedule deletion", EXT_ROLE_SESSION, "kms:ScheduleKeyDeletion", KEY, "", NOTHING),
            ("another role of that account", EXT_OTHER_ROLE_SESSION, "kms:Decrypt", KEY, "", NOTHING),
            ("a user of that account", EXT_USER, "kms:Decrypt", KEY, "", NOTHING),
            ("that account's root", EXT_ROOT, "kms:Decrypt", KEY, "", NOTHING),
            ("the same role name in the key's account", ROLE_SESSION, "kms:Decrypt", KEY, "", ACCOUNT),
        ],
    ),
    (
        "ec-department",
        &[
            ("matching department", ROLE_SESSION, "kms:Decrypt", KEY, "kms:EncryptionContext:Department=IT", NAMED),
            ("other department", ROLE_SESSION, "kms:Decrypt", KEY, "kms:EncryptionContext:Department=HR", NOTHING),
            ("no encryption context", ROLE_SESSION, "kms:Decrypt", KEY, "", NOTHING),
            ("values are case-sensitive", ROLE_SESSION, "kms:Decrypt", KEY, "kms:EncryptionContext:Department=it", NOTHING),
            ("key names are not", ROLE_SESSION, "kms:Decrypt", KEY, "KMS:EncryptionContext:DEPARTMENT=IT", NAMED),
            ("extra pairs do not matter", ROLE_SESSION, "kms:Decrypt", KEY, "kms:EncryptionContext:Department=IT; kms:EncryptionContext:Project=Alpha", NAMED),
            ("another action", ROLE_SESSION, "kms:Encrypt", KEY, "kms:EncryptionContext:Department=IT", NOTHING),
            ("another principal", ADMIN_SESSION, "kms:Decrypt", KEY, "kms:EncryptionContext:Department=IT", NOTHING),
        ],
    ),
    (
        "ec-keys-allowlist",
        &[
            ("one allowed key", ROLE_SESSION, "kms:Encrypt", KEY, "kms:EncryptionContextKeys=Department", NAMED),
            ("both allowed keys", ROLE_SESSION, "kms:GenerateDataKey", KEY, "kms:EncryptionContextKeys=Department,Project", NAMED),
            ("an unlisted key", ROLE_SESSION, "kms:Encrypt", KEY, "kms:EncryptionContextKeys=Department,Owner", NOTHING),
            ("no context at all passes ForAllValues", ROLE_SESSION, "kms:Encrypt", KEY, "", NAMED),
            ("an empty key list passes ForAllValues", ROLE_SESSION, "kms:Encrypt", KEY, "kms:EncryptionContextKeys=", NAMED),
            ("key values compare case-sensitively", ROLE_SESSION, "kms:Encrypt", KEY, "kms:EncryptionContextKeys=department", NOTHING),
        ],
    ),
    (
        "ec-keys-allowlist-required",
        &[
            ("no context is refused", ROLE_SESSION, "kms:Encrypt", KEY, "", NOTHING),
            ("an allowed key", ROLE_SESSION, "kms:Encrypt", KEY, "kms:EncryptionContextKeys=Project", NAMED),
            ("an unlisted key", ROLE_SESSION, "kms:Encrypt", KEY, "kms:EncryptionContextKeys=Owner", NOTHING),
        ],
    ),
    (
        "ec-keys-any",
        &[
            ("department among others", ROLE_SESSION, "kms:Decrypt", KEY, "kms:EncryptionContextKeys=Owner,Department", NAMED),
            ("no department", ROLE_SESSION, "kms:Decrypt", KEY, "kms:EncryptionContextKeys=Owner", NOTHING),
            ("no context fails ForAnyValue", ROLE_SESSION, "kms:Decrypt", KEY, "", NOTHING),
        ],
    ),
    (
        "ec-if-exists",
        &[
            ("no context", ROLE_SESSION, "kms:Encrypt", KEY, "", NAMED),
            ("matching department", ROLE_SESSION, "kms:Decrypt", KEY, "kms:EncryptionContext:Department=IT", NAMED),
            ("other department", ROLE_SESSION, "kms:Decrypt", KEY, "kms:EncryptionContext:Department=HR", NOTHING),
            ("other keys only", ROLE_SESSION, "kms:GenerateDataKey", KEY, "kms:EncryptionContext:Project=Alpha", NAMED),
        ],
    ),
    (
        "ec-required-deny",
        &[
            ("root without context", ROOT, "kms:Encrypt", KEY, "", DENIED),
            ("root with context", ROOT, "kms:Encrypt", KEY, "kms:EncryptionContextKeys=Department; kms:EncryptionContext:Department=IT", NAMED),
            ("user with context", ALICE, "kms:GenerateDataKey", KEY, "kms:EncryptionContextKeys=Department", ACCOUNT),
            ("user describes without context", ALICE, "kms:DescribeKey", KEY, "", ACCOUNT),
            ("data key without plaintext and without context", ALICE, "kms:GenerateDataKeyWithoutPlaintext", KEY, "", DENIED),
        ],
    ),
    (
        "grant-operations",
        &[
            ("encrypt only", ROLE_SESSION, "kms:CreateGrant", KEY, "kms:GrantOperations=Encrypt", NAMED),
            ("encrypt and decrypt", ROLE_SESSION, "kms:CreateGrant", KEY, "kms:GrantOperations=Encrypt,Decrypt", NAMED),
            ("decrypt and retire", ROLE_SESSION, "kms:CreateGrant", KEY, "kms:GrantOperations=Decrypt,RetireGrant", NOTHING),
            ("operation names are case-sensitive", ROLE_SESSION, "kms:CreateGrant", KEY, "kms:GrantOperations=decrypt", NOTHING),
        ],
    ),
    (
        "grant-constraint-type",
        &[
            ("equals constraint", ROLE_SESSION, "kms:CreateGrant", KEY, "kms:GrantConstraintType=EncryptionContextEquals", NAMED),
            ("subset constraint", ROLE_SESSION, "kms:CreateGrant", KEY, "kms:GrantConstraintType=EncryptionContextSubset", NOTHING),
            ("no constraint", ROLE_SESSION, "kms:CreateGrant", KEY, "", NOTHING),
        ],
    ),
    (
        "grantee-principal",
        &[
            ("the approved grantee", EXAMPLE_USER, "kms:CreateGrant", KEY, "kms:GranteePrincipal=arn:aws:iam::111122223333:role/ExampleRole", NAMED),
            ("another grantee", EXAMPLE_USER, "kms:CreateGrant", KEY, "kms:GranteePrincipal=arn:aws:iam::111122223333:role/KMSAdminRole", NOTHING),
        ],
    ),
    (
        "retiring-principal",
        &[
            ("one approved retiring principal", EXAMPLE_USER, "kms:CreateGrant", KEY, "kms:RetiringPrincipal=arn:aws:iam::111122223333:user/KMSAdminUser", NAMED),
            ("no retiring principal", EXAMPLE_USER, "kms:CreateGrant", KEY, "", NOTHING),
            ("another retiring principal", EXAMPLE_USER, "kms:CreateGrant", KEY, "kms:RetiringPrincipal=arn:aws:iam::444455556666:root", NOTHING),
        ],
    ),
    (
        "auto-ebs-2",
        &[
            ("through EC2 in the account", ALICE, "kms:Encrypt", KEY, "kms:CallerAccount=111122223333; kms:ViaService=ec2.us-west-2.amazonaws.com", NAMED),
            ("grant through EC2", ALICE, "kms:CreateGrant", KEY, "kms:CallerAccount=111122223333; kms:ViaService=ec2.us-west-2.amazonaws.com", NAMED),
            ("directly", ALICE, "kms:Encrypt", KEY, "kms:CallerAccount=111122223333", NOTHING),
            ("through S3", ALICE, "kms:Decrypt", KEY, "kms:CallerAccount=111122223333; kms:ViaService=s3.us-west-2.amazonaws.com", NOTHING),
            ("through EC2 in another Region", ALICE, "kms:Decrypt", KEY, "kms:CallerAccount=111122223333; kms:ViaService=ec2.us-east-1.amazonaws.com", NOTHING),
            ("another account through EC2", EXT_USER, "kms:Decrypt", KEY, "kms:CallerAccount=444455556666; kms:ViaService=ec2.us-west-2.amazonaws.com", NOTHING),
            ("describe directly through IAM", ALICE, "kms:DescribeKey", KEY, "kms:CallerAccount=111122223333", ACCOUNT),
            ("root describes directly", ROOT, "kms:DescribeKey", KEY, "kms:CallerAccount=111122223333", NAMED),
            ("nobody schedules deletion", ROOT, "kms:ScheduleKeyDeletion", KEY, "kms:CallerAccount=111122223333", NOTHING),
        ],
    ),
    (
        "deny-via-lambda",
        &[
            ("through Lambda", EXAMPLE_USER, "kms:Decrypt", KEY, "kms:ViaService=lambda.us-east-1.amazonaws.com", DENIED),
            ("directly", EXAMPLE_USER, "kms:Decrypt", KEY, "", ACCOUNT),
            ("through EC2", EXAMPLE_USER, "kms:Decrypt", KEY, "kms:ViaService=ec2.us-west-2.amazonaws.com", ACCOUNT),
            ("someone else through Lambda", ALICE, "kms:Decrypt", KEY, "kms:ViaService=lambda.us-east-1.amazonaws.com", ACCOUNT),
            ("describe through Lambda", EXAMPLE_USER, "kms:DescribeKey", KEY, "kms:ViaService=lambda.us-east-1.amazonaws.com", ACCOUNT),
        ],
    ),
    (
        "request-alias",
        &[
            ("by the alias", ROLE_SESSION, "kms:Decrypt", KEY, "kms:RequestAlias=alias/finance-key", NAMED),
            ("data key by the alias", ROLE_SESSION, "kms:GenerateDataKeyWithoutPlaintext", KEY, "kms:RequestAlias=alias/finance-key", NAMED),
            ("by key id", ROLE_SESSION, "kms:Decrypt", KEY, "", NOTHING),
            ("by another alias", ROLE_SESSION, "kms:Decrypt", KEY, "kms:RequestAlias=alias/finance-key-2", NOTHING),
        ],
    ),
    (
        "resource-aliases",
        &[
            ("one of its aliases matches", ALICE, "kms:Decrypt", KEY, "kms:ResourceAliases=alias/app,alias/finance-key", NAMED),
            ("another key with a finance alias", ALICE, "kms:Encrypt", OTHER_KEY, "kms:ResourceAliases=alias/finance-reports", NAMED),
            ("no matching alias", ALICE, "kms:Decrypt", KEY, "kms:ResourceAliases=alias/app", NOTHING),
            ("a key without aliases", ALICE, "kms:Decrypt", KEY, "", NOTHING),
            ("StringLike is case-sensitive", ALICE, "kms:Decrypt", KEY, "kms:ResourceAliases=alias/Finance-key", NOTHING),
            ("a key of another account", ALICE, "kms:Decrypt", EXT_KEY, "kms:ResourceAliases=alias/finance-key", NOTHING),
            ("an alias ARN is not a key ARN", ALICE, "kms:Decrypt", ALIAS_ARN, "kms:ResourceAliases=alias/finance-key", NOTHING),
            ("an action not listed", ALICE, "kms:ScheduleKeyDeletion", KEY, "kms:ResourceAliases=alias/finance-key", NOTHING),
        ],
    ),
    (
        "resource-tag",
        &[
            ("tagged Alpha", ALICE, "kms:Decrypt", KEY, "aws:ResourceTag/Project=Alpha", NAMED),
            ("tagged Beta", ALICE, "kms:Decrypt", KEY, "aws:ResourceTag/Project=Beta", NOTHING),
            ("untagged", ALICE, "kms:Encrypt", KEY, "", NOTHING),
            ("tag key names are not case-sensitive", ALICE, "kms:GenerateDataKey", KEY, "aws:resourcetag/project=Alpha", NAMED),
            ("tag values are", ALICE, "kms:Encrypt", KEY, "aws:ResourceTag/Project=alpha", NOTHING),
        ],
    ),
    (
        "resource-tag-principal-tag",
        &[
            ("same project", ROLE_SESSION, "kms:Encrypt", KEY, "aws:PrincipalTag/Project=Alpha; aws:ResourceTag/Project=Alpha", NAMED),
            ("different project", ROLE_SESSION, "kms:Encrypt", KEY, "aws:PrincipalTag/Project=Alpha; aws:ResourceTag/Project=Beta", NOTHING),
            ("caller without the tag", ROLE_SESSION, "kms:Decrypt", KEY, "aws:ResourceTag/Project=Alpha", NOTHING),
        ],
    ),
    (
        "request-tags",
        &[
            ("create with an allowed tag", ALICE, "kms:CreateKey", NO_RESOURCE, "aws:RequestTag/Project=Alpha; aws:TagKeys=Project", NAMED),
            ("create with both allowed tag keys", ALICE, "kms:CreateKey", NO_RESOURCE, "aws:RequestTag/Project=Beta; aws:RequestTag/Cost-Center=12345; aws:TagKeys=Project,Cost-Center", NAMED),
            ("create with an unlisted tag key", ALICE, "kms:CreateKey", NO_RESOURCE, "aws:RequestTag/Project=Alpha; aws:RequestTag/Owner=alice; aws:TagKeys=Project,Owner", NOTHING),
            ("create with another project", ALICE, "kms:CreateKey", NO_RESOURCE, "aws:RequestTag/Project=Gamma; aws:TagKeys=Project", NOTHING),
            ("create without tags", ALICE, "kms:CreateKey", NO_RESOURCE, "", NOTHING),
            ("tag an existing key", ALICE, "kms:TagResource", KEY, "aws:RequestTag/Project=Beta; aws:TagKeys=Project", NAMED),
        ],
    ),
    (
        "source-ip-deny",
        &[
            ("from outside", ALICE, "kms:Decrypt", KEY, "aws:SourceIp=198.51.100.7; aws:ViaAWSService=false", DENIED),
            ("from the first network", ALICE, "kms:Decrypt", KEY, "aws:SourceIp=192.0.2.15; aws:ViaAWSService=false", NOTHING),
            ("from the second network", ALICE, "kms:Decrypt", KEY, "aws:SourceIp=203.0.113.200; aws:ViaAWSService=false", NOTHING),
            ("an AWS service on the caller's behalf", ALICE, "kms:Decrypt", KEY, "aws:SourceIp=198.51.100.7; aws:ViaAWSService=true", NOTHING),
            ("no source IP", ALICE, "kms:Decrypt", KEY, "aws:ViaAWSService=false", DENIED),
            ("context key names in any case", ALICE, "kms:Encrypt", KEY, "AWS:SOURCEIP=198.51.100.7; aws:viaawsservice=false", DENIED),
        ],
    ),
    (
        "source-ip-allow",
        &[
            ("an IPv4 address inside", ROLE_SESSION, "kms:Encrypt", KEY, "aws:SourceIp=192.0.2.44", NAMED),
            ("an IPv6 address inside", ROLE_SESSION, "kms:Decrypt", KEY, "aws:SourceIp=2001:db8:1234:5678:abcd::1", NAMED),
            ("an IPv6 address outside", ROLE_SESSION, "kms:Decrypt", KEY, "aws:SourceIp=2001:db8:1234:5679::1", NOTHING),
            ("an IPv4 address outside", ROLE_SESSION, "kms:Encrypt", KEY, "aws:SourceIp=198.51.100.1", NOTHING),
            ("no source IP", ROLE_SESSION, "kms:Encrypt", KEY, "", NOTHING),
        ],
    ),
    (
        "secure-transport",
        &[
            ("root over plain HTTP", ROOT, "kms:Encrypt", KEY, "aws:SecureTransport=false", DENIED),
            ("root over TLS", ROOT, "kms:Encrypt", KEY, "aws:SecureTransport=true", NAMED),
            ("user over TLS", ALICE, "kms:Decrypt", KEY, "aws:SecureTransport=true", ACCOUNT),
            ("another account over plain HTTP", EXT_USER, "kms:Decrypt", KEY, "aws:SecureTransport=false", DENIED),
            ("without the key Bool does not match", ALICE, "kms:Decrypt", KEY, "", ACCOUNT),
        ],
    ),
    (
        "principal-arn-like",
        &[
            ("the role", ROLE_SESSION, "kms:Encrypt", KEY, "kms:CallerAccount=111122223333", NAMED),
            ("a role matching the wildcard", ROLE_DEV_SESSION, "kms:GenerateDataKeyPair", KEY, "kms:CallerAccount=111122223333", NAMED),
            ("a role with a path", PATH_ROLE_SESSION, "kms:Encrypt", KEY, "kms:CallerAccount=111122223333", NOTHING),
            ("another role", ADMIN_SESSION, "kms:Encrypt", KEY, "kms:CallerAccount=111122223333", NOTHING),
            ("a user", EXAMPLE_USER, "kms:Encrypt", KEY, "kms:CallerAccount=111122223333", NOTHING),
            ("the same role name in another account", EXT_ROLE_SESSION, "kms:Encrypt", KEY, "kms:CallerAccount=444455556666", NOTHING),
        ],
    ),
    (
        "deny-except-admin-arns",
        &[
            ("an admin role schedules deletion", ADMIN_SESSION, "kms:ScheduleKeyDeletion", KEY, "", ACCOUNT),
            ("root puts the key policy", ROOT, "kms:PutKeyPolicy", KEY, "", NAMED),
            ("a key role schedules deletion", ROLE_SESSION, "kms:ScheduleKeyDeletion", KEY, "", DENIED),
            ("a user puts the key policy", EXAMPLE_USER, "kms:PutKeyPolicy", KEY, "", DENIED),
            ("a user encrypts", EXAMPLE_USER, "kms:Encrypt", KEY, "", ACCOUNT),
            ("a service principal has no principal ARN", CLOUDTRAIL, "kms:ScheduleKeyDeletion", KEY, "", DENIED),
        ],
    ),
    (
        "principal-type",
        &[
            ("an IAM user", EXAMPLE_USER, "kms:Decrypt", KEY, "aws:PrincipalType=User", DENIED),
            ("a role session", ROLE_SESSION, "kms:Decrypt", KEY, "aws:PrincipalType=AssumedRole", ACCOUNT),
            ("the root user", ROOT, "kms:Decrypt", KEY, "aws:PrincipalType=Account", NAMED),
            ("an IAM user encrypts", EXAMPLE_USER, "kms:Encrypt", KEY, "aws:PrincipalType=User", ACCOUNT),
        ],
    ),
    (
        "encryption-algorithm",
        &[
            ("OAEP with SHA-256", ROLE_SESSION, "kms:Encrypt", KEY, "kms:EncryptionAlgorithm=RSAES_OAEP_SHA_256", NAMED),
            ("OAEP with SHA-1", ROLE_SESSION, "kms:Decrypt", KEY, "kms:EncryptionAlgorithm=RSAES_OAEP_SHA_1", NOTHING),
            ("no algorithm", ROLE_SESSION, "kms:Encrypt", KEY, "", NOTHING),
        ],
    ),
    (
        "create-key-properties",
        &[
            ("RSA for encryption", ALICE, "kms:CreateKey", NO_RESOURCE, "kms:KeySpec=RSA_2048; kms:KeyUsage=ENCRYPT_DECRYPT; kms:KeyOrigin=AWS_KMS", NAMED),
            ("RSA for signing", ALICE, "kms:CreateKey", NO_RESOURCE, "kms:KeySpec=RSA_4096; kms:KeyUsage=SIGN_VERIFY; kms:KeyOrigin=AWS_KMS", NOTHING),
            ("an ECC key", ALICE, "kms:CreateKey", NO_RESOURCE, "kms:KeySpec=ECC_NIST_P256; kms:KeyUsage=ENCRYPT_DECRYPT; kms:KeyOrigin=AWS_KMS", NOTHING),
            ("imported key material", ALICE, "kms:CreateKey", NO_RESOURCE, "kms:KeySpec=RSA_3072; kms:KeyUsage=ENCRYPT_DECRYPT; kms:KeyOrigin=EXTERNAL", NOTHING),
            ("a symmetric key", ALICE, "kms:CreateKey", NO_RESOURCE, "kms:KeySpec=SYMMETRIC_DEFAULT; kms:KeyUsage=ENCRYPT_DECRYPT; kms:KeyOrigin=AWS_KMS", NOTHING),
        ],
    ),
    (
        "signing",
        &[
            ("PSS over a raw message", ROLE_SESSION, "kms:Sign", KEY, "kms:SigningAlgorithm=RSASSA_PSS_SHA_256; kms:MessageType=RAW", NAMED),
            ("PSS over a digest", ROLE_SESSION, "kms:Sign", KEY, "kms:SigningAlgorithm=RSASSA_PSS_SHA_256; kms:MessageType=DIGEST", DENIED),
            ("PKCS #1 v1.5", ROLE_SESSION, "kms:Sign", KEY, "kms:SigningAlgorithm=RSASSA_PKCS1_V1_5_SHA_256; kms:MessageType=RAW", NOTHING),
            ("verify a digest", ROLE_SESSION, "kms:Verify", KEY, "kms:SigningAlgorithm=RSASSA_PSS_SHA_512; kms:MessageType=DIGEST", NAMED),
        ],
    ),
    (
        "mac-algorithm",
        &[
            ("HMAC-SHA-512", ROLE_SESSION, "kms:GenerateMac", KEY, "kms:MacAlgorithm=HMAC_SHA_512", NAMED),
            ("HMAC-SHA-256", ROLE_SESSION, "kms:GenerateMac", KEY, "kms:MacAlgorithm=HMAC_SHA_256", NOTHING),
            ("verify with HMAC-SHA-384", ROLE_SESSION, "kms:VerifyMac", KEY, "kms:MacAlgorithm=HMAC_SHA_384", NAMED),
        ],
    ),
    (
        "data-key-pair-spec",
        &[
            ("RSA 4096", ROLE_SESSION, "kms:GenerateDataKeyPair", KEY, "kms:DataKeyPairSpec=RSA_4096", NAMED),
            ("P-521 without plaintext", ROLE_SESSION, "kms:GenerateDataKeyPairWithoutPlaintext", KEY, "kms:DataKeyPairSpec=ECC_NIST_P521", NOTHING),
            ("P-384 without plaintext", ROLE_SESSION, "kms:GenerateDataKeyPairWithoutPlaintext", KEY, "kms:DataKeyPairSpec=ECC_NIST_P384", NAMED),
            ("a symmetric data key is another action", ROLE_SESSION, "kms:GenerateDataKey", KEY, "", NOTHING),
        ],
    ),
    (
        "rotation-period",
        &[
            ("90 days", ADMIN_SESSION, "kms:EnableKeyRotation", KEY, "kms:RotationPeriodInDays=90", NAMED),
            ("180 days", ADMIN_SESSION, "kms:EnableKeyRotation", KEY, "kms:RotationPeriodInDays=180", NAMED),
            ("365 days", ADMIN_SESSION, "kms:EnableKeyRotation", KEY, "kms:RotationPeriodInDays=365", NOTHING),
            ("no period", ADMIN_SESSION, "kms:EnableKeyRotation", KEY, "", NOTHING),
        ],
    ),
    (
        "pending-window",
        &[
            ("30 days", ADMIN_SESSION, "kms:ScheduleKeyDeletion", KEY, "kms:ScheduleKeyDeletionPendingWindowInDays=30", NAMED),
            ("21 days", ADMIN_SESSION, "kms:ScheduleKeyDeletion", KEY, "kms:ScheduleKeyDeletionPendingWindowInDays=21", NAMED),
            ("7 days", ADMIN_SESSION, "kms:ScheduleKeyDeletion", KEY, "kms:ScheduleKeyDeletionPendingWindowInDays=7", NOTHING),
        ],
    ),
    (
        "current-time",
        &[
            ("after", ROLE_SESSION, "kms:Decrypt", KEY, "aws:CurrentTime=2025-07-01T12:00:00Z", NAMED),
            ("before", ROLE_SESSION, "kms:Decrypt", KEY, "aws:CurrentTime=2025-06-29T23:59:59Z", NOTHING),
            ("at the instant itself", ROLE_SESSION, "kms:Decrypt", KEY, "aws:CurrentTime=2025-06-30T00:00:00Z", NOTHING),
            ("without a time", ROLE_SESSION, "kms:Decrypt", KEY, "", NOTHING),
        ],
    ),
    (
        "username-variable",
        &[
            ("own name", EXAMPLE_USER, "kms:Encrypt", KEY, "kms:EncryptionContext:Owner=ExampleUser", NAMED),
            ("someone else's name", EXAMPLE_USER, "kms:GenerateDataKey", KEY, "kms:EncryptionContext:Owner=Alice", NOTHING),
            ("a role session has no user name", ROLE_SESSION, "kms:Encrypt", KEY, "kms:EncryptionContext:Owner=ExampleRole", NOTHING),
            ("the variable text itself", EXAMPLE_USER, "kms:Encrypt", KEY, "kms:EncryptionContext:Owner=${aws:username}", NOTHING),
            ("a user with a path", PATH_USER, "kms:Encrypt", KEY, "kms:EncryptionContext:Owner=Bob", NAMED),
        ],
    ),
    (
        "username-variable-2008",
        &[
            ("no substitution in 2008-10-17", EXAMPLE_USER, "kms:Encrypt", KEY, "kms:EncryptionContext:Owner=ExampleUser", NOTHING),
            ("the literal text matches", EXAMPLE_USER, "kms:Encrypt", KEY, "kms:EncryptionContext:Owner=${aws:username}", NAMED),
        ],
    ),
    (
        "not-principal-deny",
        &[
            ("the listed session", ADMIN_SESSION, "kms:ScheduleKeyDeletion", KEY, "", ACCOUNT),
            ("another session of the listed role", ADMIN_OTHER_SESSION, "kms:ScheduleKeyDeletion", KEY, "", DENIED),
            ("an unlisted user", EXAMPLE_USER, "kms:DisableKey", KEY, "", DENIED),
            ("the listed account root", ROOT, "kms:ScheduleKeyDeletion", KEY, "", NAMED),
            ("another account", EXT_USER, "kms:ScheduleKeyDeletion", KEY, "", DENIED),
            ("an action not denied", EXAMPLE_USER, "kms:Encrypt", KEY, "", ACCOUNT),
        ],
    ),
    (
        "not-principal-without-account",
        &[
            ("the listed user is denied too", ADMIN_USER, "kms:Encrypt", KEY, "", DENIED),
            ("the root user is denied", ROOT, "kms:Encrypt", KEY, "", DENIED),
            ("everyone else is denied", ALICE, "kms:Encrypt", KEY, "", DENIED),
        ],
    ),
    (
        "not-principal-account-only",
        &[
            ("the root user is spared", ROOT, "kms:Encrypt", KEY, "", NAMED),
            ("a user of the account is not", ALICE, "kms:Encrypt", KEY, "", DENIED),
            ("a role session of the account is not", ROLE_SESSION, "kms:Decrypt", KEY, "", DENIED),
        ],
    ),
    (
        "revoke-older-sessions",
        &[
            ("a session issued before", ROLE_SESSION, "kms:Decrypt", KEY, "aws:TokenIssueTime=2025-06-30T11:59:59Z", DENIED),
            ("a session issued after", ROLE_SESSION, "kms:Decrypt", KEY, "aws:TokenIssueTime=2025-06-30T12:00:01Z", NOTHING),
            ("long-term credentials have no token", EXAMPLE_USER, "kms:Decrypt", KEY, "", NOTHING),
        ],
    ),
    (
        "deny-beats-allow",
        &[
            ("root schedules deletion", ROOT, "kms:ScheduleKeyDeletion", KEY, "", DENIED),
            ("the allowed role disables", ROLE_SESSION, "kms:DisableKey", KEY, "", DENIED),
            ("the allowed role encrypts", ROLE_SESSION, "kms:Encrypt", KEY, "", NAMED),
            ("another account schedules deletion", EXT_USER, "kms:ScheduleKeyDeletion", KEY, "", DENIED),
            ("a user encrypts through IAM", ALICE, "kms:Encrypt", KEY, "", ACCOUNT),
        ],
    ),
    (
        "deny-account",
        &[
            ("a user of the denied account", EXT_USER, "kms:Decrypt", KEY, "", DENIED),
            ("a role session of the denied account", EXT_ROLE_SESSION, "kms:Decrypt", KEY, "", DENIED),
            ("the denied account's root", EXT_ROOT, "kms:Decrypt", KEY, "", DENIED),
            ("the denied account encrypts", EXT_USER, "kms:Encrypt", KEY, "", ACCOUNT),
            ("the key's account decrypts", ALICE, "kms:Decrypt", KEY, "", ACCOUNT),
            ("the key's account root", ROOT, "kms:Decrypt", KEY, "", NAMED),
        ],
    ),
    (
        "not-action",
        &[
            ("the role encrypts", ROLE_SESSION, "kms:Encrypt", KEY, "", NAMED),
            ("the role schedules deletion only through IAM", ROLE_SESSION, "kms:ScheduleKeyDeletion", KEY, "", ACCOUNT),
            ("the role deletes an alias only through IAM", ROLE_SESSION, "kms:DeleteAlias", KEY, "", ACCOUNT),
            ("NotAction reaches other services", ROLE_SESSION, "iam:PassRole", KEY, "", NAMED),
            ("the user encrypts", EXAMPLE_USER, "kms:Encrypt", KEY, "", ACCOUNT),
            ("the user describes", EXAMPLE_USER, "kms:DescribeKey", KEY, "", ACCOUNT),
            ("the user cannot grant", EXAMPLE_USER, "kms:CreateGrant", KEY, "", DENIED),
            ("the user cannot re-encrypt", EXAMPLE_USER, "kms:ReEncryptFrom", KEY, "", DENIED),
        ],
    ),
    (
        "cloudtrail",
        &[
            ("CloudTrail generates a data key for its trail", CLOUDTRAIL, "kms:GenerateDataKey", KEY, "aws:SourceArn=arn:aws:cloudtrail:us-west-2:111122223333:trail/TrailName; kms:EncryptionContext:aws:cloudtrail:arn=arn:aws:cloudtrail:us-west-2:111122223333:trail/TrailName", NAMED),
            ("a trail of another account", CLOUDTRAIL, "kms:GenerateDataKey", KEY, "aws:SourceArn=arn:aws:cloudtrail:us-west-2:111122223333:trail/TrailName; kms:EncryptionContext:aws:cloudtrail:arn=arn:aws:cloudtrail:us-west-2:444455556666:trail/Other", NOTHING),
            ("another source trail", CLOUDTRAIL, "kms:GenerateDataKey", KEY, "aws:SourceArn=arn:aws:cloudtrail:us-west-2:111122223333:trail/Other; kms:EncryptionContext:aws:cloudtrail:arn=arn:aws:cloudtrail:us-west-2:111122223333:trail/Other", NOTHING),
            ("CloudTrail describes", CLOUDTRAIL, "kms:DescribeKey", KEY, "", NAMED),
            ("CloudTrail cannot decrypt", CLOUDTRAIL, "kms:Decrypt", KEY, "", NOTHING),
            ("a user is not the service", EXAMPLE_USER, "kms:GenerateDataKey", KEY, "aws:SourceArn=arn:aws:cloudtrail:us-west-2:111122223333:trail/TrailName; kms:EncryptionContext:aws:cloudtrail:arn=arn:aws:cloudtrail:us-west-2:111122223333:trail/TrailName", ACCOUNT),
        ],
    ),
    (
        "mfa-for-deletion",
        &[
            ("long-term credentials have no MFA key", ROOT, "kms:ScheduleKeyDeletion", KEY, "", DENIED),
            ("with MFA", ROOT, "kms:ScheduleKeyDeletion", KEY, "aws:MultiFactorAuthPresent=true", NAMED),
            ("session without MFA", ADMIN_SESSION, "kms:DisableKey", KEY, "aws:MultiFactorAuthPresent=false", DENIED),
            ("other actions need no MFA", ALICE, "kms:Encrypt", KEY, "", ACCOUNT),
        ],
    ),
    (
        "deny-other-accounts",
        &[
            ("this account describes", ALICE, "kms:DescribeKey", KEY, "", NAMED),
            ("another account", EXT_USER, "kms:DescribeKey", KEY, "", DENIED),
            ("a service principal has no principal account", CLOUDTRAIL, "kms:DescribeKey", KEY, "", DENIED),
            ("an explicit principal account in the context", ROLE_SESSION, "kms:DescribeKey", KEY, "aws:PrincipalAccount=111122223333", NAMED),
        ],
    ),
    (
        "organization",
        &[
            ("a member account", EXT_USER, "kms:Decrypt", KEY, "aws:PrincipalOrgID=o-a1b2c3d4e5", NAMED),
            ("another organization", STRANGER, "kms:Decrypt", KEY, "aws:PrincipalOrgID=o-zzzzzzzzzz", NOTHING),
            ("no organization", STRANGER, "kms:Decrypt", KEY, "", NOTHING),
            ("an action not listed", EXT_USER, "kms:CreateGrant", KEY, "aws:PrincipalOrgID=o-a1b2c3d4e5", NOTHING),
        ],
    ),
    (
        "region-guard",
        &[
            ("an approved Region", ALICE, "kms:Encrypt", KEY, "aws:RequestedRegion=us-west-2", NAMED),
            ("another approved Region", ALICE, "kms:CreateKey", NO_RESOURCE, "aws:RequestedRegion=eu-west-1", NAMED),
            ("an unapproved Region", ALICE, "kms:Encrypt", KEY, "aws:RequestedRegion=ap-south-1", DENIED),
        ],
    ),
    (
        "not-resource",
        &[
            ("the excepted key", ALICE, "kms:Encrypt", KEY, "", NAMED),
            ("another key", ALICE, "kms:Decrypt", OTHER_KEY, "", DENIED),
            ("a key of another account", ALICE, "kms:Decrypt", EXT_KEY, "", DENIED),
            ("an action the Deny does not list", ALICE, "kms:ListKeys", NO_RESOURCE, "", NAMED),
        ],
    ),
];

// ---------------------------------------------------------------------------------------------
// The runner.

/// Builds the condition context of a row from `key=value[,value…]; …`.
fn context(spec: &str) -> ContextMap {
    let mut ctx = ContextMap::new();
    for entry in spec.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let (key, values) = entry
            .split_once('=')
            .unwrap_or_else(|| panic!("context entry {entry:?} is not key=value"));
        let values: Vec<&str> = if values.is_empty() {
            Vec::new()
        } else {
            values.split(',').collect()
        };
        ctx.set(key.trim(), values);
    }
    ctx
}

fn describe(e: &Evaluation) -> &'static str {
    match (e.explicit_deny, e.allow) {
        (true, None) => "explicit deny",
        (true, Some(_)) => "explicit deny WITH an allow (inconsistent)",
        (false, None) => "no allow",
        (false, Some(AllowedPrincipalMatch::Principal)) => "allow (principal named)",
        (false, Some(AllowedPrincipalMatch::Account)) => "allow (account only)",
    }
}

#[test]
fn kms_key_policy_table() {
    let mut failures = Vec::new();

    let mut documents = HashMap::new();
    for (name, kind, text) in DOCUMENTS {
        match PolicyDocument::parse(text, *kind) {
            Ok(doc) => {
                if documents.insert(*name, doc).is_some() {
                    failures.push(format!("document {name}: listed twice"));
                }
            }
            Err(e) => failures.push(format!("document {name}: does not parse: {e}")),
        }
    }

    let mut seen = HashSet::new();
    let mut used = HashSet::new();
    let mut rows = 0;
    for (policy, cases) in TABLE {
        for (name, principal, action, resource, spec, expected) in *cases {
            rows += 1;
            let id = format!("{policy} / {name}");
            if !seen.insert(id.clone()) {
                failures.push(format!("{id}: row name used twice"));
            }
            let Some(doc) = documents.get(policy) else {
                failures.push(format!("{id}: no document named {policy}"));
                continue;
            };
            used.insert(*policy);
            let ctx = context(spec);
            let got = doc.evaluate(&Request::new(*principal, action, resource, &ctx));
            if got != *expected {
                failures.push(format!(
                    "{id}: {} {action} on {resource} [{spec}]: expected {}, got {}",
                    principal.arn,
                    describe(expected),
                    describe(&got),
                ));
            }
        }
    }
    for (name, _, _) in DOCUMENTS {
        if !used.contains(name) {
            failures.push(format!("document {name}: no row uses it"));
        }
    }

    assert!(rows >= 120, "only {rows} rows");
    assert!(
        failures.is_empty(),
        "{} of {rows} rows failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}
