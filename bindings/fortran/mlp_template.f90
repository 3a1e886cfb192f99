!@ mlp_template.f90 - the source of the Fortran module mlp, which says once
!@ what each precision has a copy of. The build writes mlp.f90 from it with
!@ generate_module.py: the lines between !@precision and !@end precision
!@ once for double and once for float, with @PREFIX@ (mlp, mlpf), @C@ (c,
!@ cf), @SUFFIX@ (d, f), @F@ (nothing, _f) and @KIND@ (c_double, c_float)
!@ replaced as its PRECISIONS table says; a line that holds @GENERIC@ once
!@ for each generic name (mlp_..., and for float mlpf_... too). Lines that
!@ start with !@ (these) are left out.
! mlp.f90 - the Fortran module of libmlp:  use mlp
!
! Every procedure here calls the C function of the same name in mlp.h, whose
! comment is its contract (shapes, statuses, thread safety). What the
! module adds:
!
! - A network is a type(mlp_net). mlp_create (or mlp_load, mlp_clone) fills
!   it, freeing the network it held before; mlp_free releases it. A local
!   mlp_net of a procedure is also released when the procedure returns
!   (finalisation), so mlp_free is only needed for networks of the main
!   program, saved or module variables, or to release one early. An
!   mlp_net that holds no network makes every function return MLP_ERR_ARG.
!   Assignment (b = a) makes b an independent deep copy (mlp_clone; b holds
!   no network if that fails), so two variables never share one network.
!   Both are elemental: arrays of networks (an ensemble) are copied element
!   by element (ens = a, copy = ens) and freed when they go out of scope.
!   One assignment between overlapping parts of the same array
!   (ens(2:3) = ens(1:2)) is not allowed: an element would be copied after
!   it was replaced; copy through another array (tmp = ens(1:2), then
!   ens(2:3) = tmp). type(mlp_workspace) is owned the same way
!   (mlp_workspace_create, mlp_workspace_free), but a workspace is scratch:
!   after b = a, b holds none.
! - Arrays hold one sample per column, the sample being the last dimension:
!   X(n_0, batch) has exactly the bytes of C's row-major batch x n_0 array,
!   so the library works on the caller's array itself and nothing is copied
!   on any call. Arrays must therefore be contiguous (whole arrays, or
!   column ranges X(:, i:j)): a non-contiguous section gives MLP_ERR_ARG
!   rather than a hidden copy, as does a shape that does not match the
!   network (the number of rows) or the other arrays (the batch).
! - The network's own matrices are seen the same way: mlp_weights(net, l)
!   is a pointer W(n_(l-1), n_l) into the network, W(j, i) being C's
!   W[i][j]; mlp_jacobian's J(n_0, n_L, batch) is C's batch x n_L x n_0.
! - Functions that return a status return integer(c_int), compared with
!   the named constants MLP_OK, MLP_ERR_ARG, ... (the C names and values);
!   mlp_strerror gives its message as a Fortran string. Functions without
!   a status in C (mlp_free, mlp_fit_defaults, ...) are subroutines.
! - Paths (mlp_save, mlp_load) are Fortran strings; trailing blanks are
!   ignored, as OPEN's FILE= ignores them, so a fixed-length variable
!   (character(len=256) :: path) names the file it shows.
! - Numbers of the model and data are real(c_double) (real(c_float) for the
!   mlpf_ family); hyper-parameters (learning rate, momentum, ...) are
!   real(c_double) in both, as in C. Seeds
!   may be integer(c_int32_t) or integer(c_int64_t) (the C uint64_t's bits).
!
! Single precision: the C library's mlpf_ family is bound the same way, with
! a type(mlpf_net) (and type(mlpf_workspace)) and real(c_float) arrays,
! under the mlpf_* C names. Every public mlp_* name is a generic interface
! with a specific for each precision (ending in _d and _f), so one call
! site serves either: mlp_predict(net, X, Y) calls mlpf_predict when net is
! an mlpf_net and X, Y are real(c_float).
!
! Building: the library's build compiles this file when a Fortran compiler
! is found and installs the module and libmlp_fortran (pkg-config
! mlp-fortran). With another compiler, compile this installed source
! yourself and link with -lmlp. (The build writes this file from
! bindings/fortran/mlp_template.f90 of the library's sources, which says
! each precision's procedures once.)
module mlp
  use, intrinsic :: iso_c_binding, only: c_int, c_int8_t, c_int32_t, c_int64_t, &
      c_size_t, c_double, c_float, c_char, c_ptr, c_funptr, c_null_ptr, c_null_funptr, &
      c_null_char, c_associated, c_loc, c_f_pointer
  implicit none
  private

  ! ------------------------------------------------------------------------
  ! Constants: the values of mlp.h's enums, under their C names.

  ! mlp_status
  integer(c_int), parameter, public :: MLP_OK = 0, MLP_ERR_ARG = 1, &
      MLP_ERR_NOMEM = 2, MLP_ERR_NONFINITE = 3, MLP_ERR_IO = 4, &
      MLP_ERR_FORMAT = 5
  ! mlp_activation
  integer(c_int), parameter, public :: MLP_SIGMOID = 0, MLP_TANH = 1, &
      MLP_RELU = 2, MLP_IDENTITY = 3, MLP_SOFTMAX = 4
  ! mlp_loss
  integer(c_int), parameter, public :: MLP_MSE = 0, MLP_CROSS_ENTROPY = 1
  ! mlp_init_kind
  integer(c_int), parameter, public :: MLP_INIT_DEFAULT = 0, &
      MLP_INIT_GLOROT_UNIFORM = 1, MLP_INIT_GLOROT_NORMAL = 2, &
      MLP_INIT_HE_UNIFORM = 3, MLP_INIT_HE_NORMAL = 4, MLP_INIT_ORTHOGONAL = 5
  ! mlp_fit_stop
  integer(c_int), parameter, public :: MLP_FIT_COMPLETED = 0, &
      MLP_FIT_EARLY_STOPPED = 1, MLP_FIT_STOPPED_BY_CALLBACK = 2, &
      MLP_FIT_FAILED = 3

  ! ------------------------------------------------------------------------
  ! Types

  ! The structs of mlp_fit, field for field (mlp.h says what each means).
  type, bind(c), public :: mlp_fit_progress
    integer(c_size_t) :: epoch, epochs, batch, batches
    real(c_double) :: train_cost, val_cost, elapsed
    integer(c_int) :: epoch_done
  end type mlp_fit_progress

  type, bind(c), public :: mlp_fit_options
    integer(c_size_t) :: epochs = 10, batch_size = 32
    integer(c_int64_t) :: seed = 0
    real(c_double) :: validation = 0
    integer(c_size_t) :: patience = 0
    real(c_double) :: min_delta = 0
    integer(c_int) :: restore_best = 1
    integer(c_size_t) :: report_every = 0
    type(c_funptr) :: callback = c_null_funptr   ! c_funloc of an mlp_fit_callback
    type(c_ptr) :: user = c_null_ptr
  end type mlp_fit_options

  type, bind(c), public :: mlp_fit_result
    integer(c_size_t) :: epochs_run, best_epoch
    real(c_double) :: train_cost, val_cost, best_val_cost
    integer(c_int) :: stop
  end type mlp_fit_result

  ! The callback of mlp_fit: write it as
  !   integer(c_int) function my_callback(progress, user) bind(c)
  !     type(mlp_fit_progress), intent(in) :: progress
  !     type(c_ptr), value :: user
  ! and set options%callback = c_funloc(my_callback). Non-zero stops.
  abstract interface
    function mlp_fit_callback(progress, user) bind(c) result(stop)
      import :: mlp_fit_progress, c_ptr, c_int
      type(mlp_fit_progress), intent(in) :: progress
      type(c_ptr), value :: user
      integer(c_int) :: stop
    end function mlp_fit_callback
  end interface
  public :: mlp_fit_callback

  ! ------------------------------------------------------------------------
  ! The public procedures: generic names (the C names), with a specific
  ! for each precision (_d, _f); those with no precision first.

  public :: mlp_version, mlp_strerror, mlp_fit_defaults, mlp_set_blas_threads, &
      mlp_blas_threads

  ! The C functions (private): size_t is c_size_t, enums are c_int, and
  ! arrays are passed as c_ptr so that NULL can be given where C allows it.
  ! The shape queries only read the network and are declared pure, so that
  ! they can be used in pure procedures and specification expressions.
  interface
    function c_strlen(s) bind(c, name='strlen') result(n)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: s
      integer(c_size_t) :: n
    end function
    function c_version() bind(c, name='mlp_version') result(s)
      import :: c_ptr
      type(c_ptr) :: s
    end function
    function c_strerror(status) bind(c, name='mlp_strerror') result(s)
      import :: c_ptr, c_int
      integer(c_int), value :: status
      type(c_ptr) :: s
    end function
    subroutine c_fit_defaults(options) bind(c, name='mlp_fit_defaults')
      import :: mlp_fit_options
      type(mlp_fit_options) :: options
    end subroutine
    function c_set_blas_threads(n) bind(c, name='mlp_set_blas_threads') &
        result(status)
      import :: c_size_t, c_int
      integer(c_size_t), value :: n
      integer(c_int) :: status
    end function
    function c_blas_threads() bind(c, name='mlp_blas_threads') result(n)
      import :: c_size_t
      integer(c_size_t) :: n
    end function
  end interface

!@precision
  ! ------------------------------------------------------------------------
  ! The types, public names and C functions of the @PREFIX@_ family
  ! (real(@KIND@) data).

  ! A network: owns the C @PREFIX@_t it points to.
  type, public :: @PREFIX@_net
    private
    type(c_ptr) :: ptr = c_null_ptr
  contains
    procedure, private :: assign_net@F@
    generic :: assignment(=) => assign_net@F@
    final :: final_net@F@
  end type @PREFIX@_net

  ! Scratch for mlp_predict_ws (and the derivatives): owns an
  ! @PREFIX@_workspace_t.
  type, public :: @PREFIX@_workspace
    private
    type(c_ptr) :: ptr = c_null_ptr
  contains
    procedure, private :: assign_workspace@F@
    generic :: assignment(=) => assign_workspace@F@
    final :: final_workspace@F@
  end type @PREFIX@_workspace

  public :: @PREFIX@_create, @PREFIX@_free, @PREFIX@_clone
  public :: @PREFIX@_n_layers, @PREFIX@_layer_size, @PREFIX@_layer_activation, @PREFIX@_loss_kind, &
      @PREFIX@_n_params
  public :: @PREFIX@_weights, @PREFIX@_biases, @PREFIX@_weight_grads, @PREFIX@_bias_grads, &
      @PREFIX@_params, @PREFIX@_grads
  public :: @PREFIX@_predict, @PREFIX@_backprop
  public :: @PREFIX@_set_scaling, @PREFIX@_fit_scaling, @PREFIX@_get_scaling
  public :: @PREFIX@_set_sgd, @PREFIX@_step, @PREFIX@_train_batch, @PREFIX@_set_adam, &
      @PREFIX@_set_weight_decay, @PREFIX@_init
  public :: @PREFIX@_fit
  public :: @PREFIX@_save, @PREFIX@_load, @PREFIX@_load_buffer, @PREFIX@_saved_size, @PREFIX@_save_buffer
  public :: @PREFIX@_workspace_create, @PREFIX@_workspace_free, @PREFIX@_predict_ws
  public :: @PREFIX@_jacobian, @PREFIX@_vjp, @PREFIX@_jvp

  interface @GENERIC@_create; module procedure mlp_create_@SUFFIX@32, mlp_create_@SUFFIX@64; end interface
  interface @GENERIC@_free; module procedure mlp_free_@SUFFIX@; end interface
  interface @GENERIC@_clone; module procedure mlp_clone_@SUFFIX@; end interface
  interface @GENERIC@_n_layers; module procedure mlp_n_layers_@SUFFIX@; end interface
  interface @GENERIC@_layer_size; module procedure mlp_layer_size_@SUFFIX@; end interface
  interface @GENERIC@_layer_activation; module procedure mlp_layer_activation_@SUFFIX@; end interface
  interface @GENERIC@_loss_kind; module procedure mlp_loss_kind_@SUFFIX@; end interface
  interface @GENERIC@_n_params; module procedure mlp_n_params_@SUFFIX@; end interface
  interface @GENERIC@_weights; module procedure mlp_weights_@SUFFIX@; end interface
  interface @GENERIC@_biases; module procedure mlp_biases_@SUFFIX@; end interface
  interface @GENERIC@_weight_grads; module procedure mlp_weight_grads_@SUFFIX@; end interface
  interface @GENERIC@_bias_grads; module procedure mlp_bias_grads_@SUFFIX@; end interface
  interface @GENERIC@_params; module procedure mlp_params_@SUFFIX@; end interface
  interface @GENERIC@_grads; module procedure mlp_grads_@SUFFIX@; end interface
  interface @GENERIC@_predict; module procedure mlp_predict_@SUFFIX@; end interface
  interface @GENERIC@_backprop; module procedure mlp_backprop_@SUFFIX@; end interface
  interface @GENERIC@_set_scaling; module procedure mlp_set_scaling_@SUFFIX@; end interface
  interface @GENERIC@_fit_scaling; module procedure mlp_fit_scaling_@SUFFIX@; end interface
  interface @GENERIC@_get_scaling; module procedure mlp_get_scaling_@SUFFIX@; end interface
  interface @GENERIC@_set_sgd; module procedure mlp_set_sgd_@SUFFIX@; end interface
  interface @GENERIC@_step; module procedure mlp_step_@SUFFIX@; end interface
  interface @GENERIC@_train_batch; module procedure mlp_train_batch_@SUFFIX@; end interface
  interface @GENERIC@_set_adam; module procedure mlp_set_adam_@SUFFIX@; end interface
  interface @GENERIC@_set_weight_decay; module procedure mlp_set_weight_decay_@SUFFIX@; end interface
  interface @GENERIC@_init; module procedure mlp_init_@SUFFIX@32, mlp_init_@SUFFIX@64; end interface
  interface @GENERIC@_fit; module procedure mlp_fit_@SUFFIX@; end interface
  interface @GENERIC@_save; module procedure mlp_save_@SUFFIX@; end interface
  interface @GENERIC@_load; module procedure mlp_load_@SUFFIX@; end interface
  interface @GENERIC@_load_buffer; module procedure mlp_load_buffer_@SUFFIX@; end interface
  interface @GENERIC@_saved_size; module procedure mlp_saved_size_@SUFFIX@; end interface
  interface @GENERIC@_save_buffer; module procedure mlp_save_buffer_@SUFFIX@; end interface
  interface @GENERIC@_workspace_create; module procedure mlp_workspace_create_@SUFFIX@; end interface
  interface @GENERIC@_workspace_free; module procedure mlp_workspace_free_@SUFFIX@; end interface
  interface @GENERIC@_predict_ws; module procedure mlp_predict_ws_@SUFFIX@; end interface
  interface @GENERIC@_jacobian; module procedure mlp_jacobian_@SUFFIX@; end interface
  interface @GENERIC@_vjp; module procedure mlp_vjp_@SUFFIX@; end interface
  interface @GENERIC@_jvp; module procedure mlp_jvp_@SUFFIX@; end interface

  interface address2; module procedure address2_@SUFFIX@; end interface
  interface address1; module procedure address1_@SUFFIX@; end interface
  interface fits; module procedure fits_@SUFFIX@; end interface

  ! The C functions of this precision (private), declared as above.
  interface
    function @C@_create(net, n_layers, sizes, acts, loss, seed) &
        bind(c, name='@PREFIX@_create') result(status)
      import :: c_ptr, c_size_t, c_int, c_int64_t
      type(c_ptr) :: net
      integer(c_size_t), value :: n_layers
      integer(c_size_t) :: sizes(*)
      type(c_ptr), value :: acts
      integer(c_int), value :: loss
      integer(c_int64_t), value :: seed
      integer(c_int) :: status
    end function
    subroutine @C@_free(net) bind(c, name='@PREFIX@_free')
      import :: c_ptr
      type(c_ptr), value :: net
    end subroutine
    function @C@_clone(copy, net) bind(c, name='@PREFIX@_clone') result(status)
      import :: c_ptr, c_int
      type(c_ptr) :: copy
      type(c_ptr), value :: net
      integer(c_int) :: status
    end function
    pure function @C@_n_layers(net) bind(c, name='@PREFIX@_n_layers') result(n)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: net
      integer(c_size_t) :: n
    end function
    pure function @C@_layer_size(net, l) bind(c, name='@PREFIX@_layer_size') result(n)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: net
      integer(c_size_t), value :: l
      integer(c_size_t) :: n
    end function
    pure function @C@_layer_activation(net, l) bind(c, name='@PREFIX@_layer_activation') result(a)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net
      integer(c_size_t), value :: l
      integer(c_int) :: a
    end function
    pure function @C@_loss_kind(net) bind(c, name='@PREFIX@_loss_kind') result(k)
      import :: c_ptr, c_int
      type(c_ptr), value :: net
      integer(c_int) :: k
    end function
    pure function @C@_n_params(net) bind(c, name='@PREFIX@_n_params') result(n)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: net
      integer(c_size_t) :: n
    end function
    function @C@_weights(net, l) bind(c, name='@PREFIX@_weights') result(p)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: net
      integer(c_size_t), value :: l
      type(c_ptr) :: p
    end function
    function @C@_biases(net, l) bind(c, name='@PREFIX@_biases') result(p)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: net
      integer(c_size_t), value :: l
      type(c_ptr) :: p
    end function
    function @C@_weight_grads(net, l) bind(c, name='@PREFIX@_weight_grads') result(p)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: net
      integer(c_size_t), value :: l
      type(c_ptr) :: p
    end function
    function @C@_bias_grads(net, l) bind(c, name='@PREFIX@_bias_grads') result(p)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: net
      integer(c_size_t), value :: l
      type(c_ptr) :: p
    end function
    function @C@_params(net) bind(c, name='@PREFIX@_params') result(p)
      import :: c_ptr
      type(c_ptr), value :: net
      type(c_ptr) :: p
    end function
    function @C@_grads(net) bind(c, name='@PREFIX@_grads') result(p)
      import :: c_ptr
      type(c_ptr), value :: net
      type(c_ptr) :: p
    end function
    function @C@_predict(net, batch, X, Y) bind(c, name='@PREFIX@_predict') result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, X, Y
      integer(c_size_t), value :: batch
      integer(c_int) :: status
    end function
    function @C@_backprop(net, batch, X, T, cost) bind(c, name='@PREFIX@_backprop') &
        result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, X, T, cost
      integer(c_size_t), value :: batch
      integer(c_int) :: status
    end function
    function @C@_set_scaling(net, in_mean, in_std, out_mean, out_std) &
        bind(c, name='@PREFIX@_set_scaling') result(status)
      import :: c_ptr, c_int
      type(c_ptr), value :: net, in_mean, in_std, out_mean, out_std
      integer(c_int) :: status
    end function
    function @C@_fit_scaling(net, n, X, T) bind(c, name='@PREFIX@_fit_scaling') &
        result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, X, T
      integer(c_size_t), value :: n
      integer(c_int) :: status
    end function
    function @C@_get_scaling(net, in_mean, in_std, out_mean, out_std) &
        bind(c, name='@PREFIX@_get_scaling') result(status)
      import :: c_ptr, c_int
      type(c_ptr), value :: net, in_mean, in_std, out_mean, out_std
      integer(c_int) :: status
    end function
    function @C@_set_sgd(net, learning_rate, momentum) bind(c, name='@PREFIX@_set_sgd') &
        result(status)
      import :: c_ptr, c_double, c_int
      type(c_ptr), value :: net
      real(c_double), value :: learning_rate, momentum
      integer(c_int) :: status
    end function
    function @C@_step(net) bind(c, name='@PREFIX@_step') result(status)
      import :: c_ptr, c_int
      type(c_ptr), value :: net
      integer(c_int) :: status
    end function
    function @C@_train_batch(net, batch, X, T, cost) bind(c, name='@PREFIX@_train_batch') &
        result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, X, T, cost
      integer(c_size_t), value :: batch
      integer(c_int) :: status
    end function
    function @C@_set_adam(net, learning_rate, beta1, beta2, epsilon) &
        bind(c, name='@PREFIX@_set_adam') result(status)
      import :: c_ptr, c_double, c_int
      type(c_ptr), value :: net
      real(c_double), value :: learning_rate, beta1, beta2, epsilon
      integer(c_int) :: status
    end function
    function @C@_set_weight_decay(net, lambda) bind(c, name='@PREFIX@_set_weight_decay') &
        result(status)
      import :: c_ptr, c_double, c_int
      type(c_ptr), value :: net
      real(c_double), value :: lambda
      integer(c_int) :: status
    end function
    function @C@_init(net, kind, seed) bind(c, name='@PREFIX@_init') result(status)
      import :: c_ptr, c_int, c_int64_t
      type(c_ptr), value :: net
      integer(c_int), value :: kind
      integer(c_int64_t), value :: seed
      integer(c_int) :: status
    end function
    function @C@_fit(net, n, X, T, options, result) bind(c, name='@PREFIX@_fit') &
        result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, X, T, options, result
      integer(c_size_t), value :: n
      integer(c_int) :: status
    end function
    function @C@_save(net, path) bind(c, name='@PREFIX@_save') result(status)
      import :: c_ptr, c_char, c_int
      type(c_ptr), value :: net
      character(kind=c_char) :: path(*)
      integer(c_int) :: status
    end function
    function @C@_load(net, path) bind(c, name='@PREFIX@_load') result(status)
      import :: c_ptr, c_char, c_int
      type(c_ptr) :: net
      character(kind=c_char) :: path(*)
      integer(c_int) :: status
    end function
    function @C@_load_buffer(net, data, size) bind(c, name='@PREFIX@_load_buffer') &
        result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr) :: net
      type(c_ptr), value :: data
      integer(c_size_t), value :: size
      integer(c_int) :: status
    end function
    pure function @C@_saved_size(net) bind(c, name='@PREFIX@_saved_size') result(n)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: net
      integer(c_size_t) :: n
    end function
    function @C@_save_buffer(net, data, capacity) bind(c, name='@PREFIX@_save_buffer') &
        result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, data
      integer(c_size_t), value :: capacity
      integer(c_int) :: status
    end function
    function @C@_workspace_create(ws, net, max_batch) &
        bind(c, name='@PREFIX@_workspace_create') result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr) :: ws
      type(c_ptr), value :: net
      integer(c_size_t), value :: max_batch
      integer(c_int) :: status
    end function
    subroutine @C@_workspace_free(ws) bind(c, name='@PREFIX@_workspace_free')
      import :: c_ptr
      type(c_ptr), value :: ws
    end subroutine
    function @C@_predict_ws(net, ws, batch, X, Y) bind(c, name='@PREFIX@_predict_ws') &
        result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, ws, X, Y
      integer(c_size_t), value :: batch
      integer(c_int) :: status
    end function
    function @C@_jacobian(net, ws, batch, X, J) bind(c, name='@PREFIX@_jacobian') &
        result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, ws, X, J
      integer(c_size_t), value :: batch
      integer(c_int) :: status
    end function
    function @C@_vjp(net, ws, batch, X, V, G) bind(c, name='@PREFIX@_vjp') result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, ws, X, V, G
      integer(c_size_t), value :: batch
      integer(c_int) :: status
    end function
    function @C@_jvp(net, ws, batch, X, D, U) bind(c, name='@PREFIX@_jvp') result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: net, ws, X, D, U
      integer(c_size_t), value :: batch
      integer(c_int) :: status
    end function
  end interface
!@end precision

contains

  ! ------------------------------------------------------------------------
  ! Helpers

  ! A C string (static storage, or NULL) as a Fortran string.
  function from_c_string(s) result(str)
    type(c_ptr), intent(in) :: s
    character(:), allocatable :: str
    character(kind=c_char), pointer :: chars(:)
    integer :: i, n
    if (.not. c_associated(s)) then
      str = ''
      return
    end if
    n = int(c_strlen(s))
    call c_f_pointer(s, chars, [n])
    allocate(character(n) :: str)
    do i = 1, n
      str(i:i) = chars(i)
    end do
  end function from_c_string

  ! A Fortran string as a NUL-terminated C string.
  pure function to_c_string(str) result(s)
    character(*), intent(in) :: str
    character(kind=c_char, len=len(str) + 1) :: s
    s = str // c_null_char
  end function to_c_string

  ! ------------------------------------------------------------------------
  ! Library information

  function mlp_version() result(version)
    character(:), allocatable :: version
    version = from_c_string(c_version())
  end function mlp_version

  function mlp_strerror(status) result(message)
    integer(c_int), intent(in) :: status
    character(:), allocatable :: message
    message = from_c_string(c_strerror(status))
  end function mlp_strerror

  ! The fit loop's defaults (either precision's mlp_fit takes them).
  subroutine mlp_fit_defaults(options)
    type(mlp_fit_options), intent(out) :: options
    call c_fit_defaults(options)
  end subroutine mlp_fit_defaults

  ! ------------------------------------------------------------------------
  ! BLAS threads (process-wide)

  function mlp_set_blas_threads(n) result(status)
    integer, intent(in) :: n
    integer(c_int) :: status
    status = MLP_ERR_ARG
    if (n >= 0) status = c_set_blas_threads(int(n, c_size_t))
  end function mlp_set_blas_threads

  integer(c_size_t) function mlp_blas_threads()
    mlp_blas_threads = c_blas_threads()
  end function mlp_blas_threads

!@precision
  ! ------------------------------------------------------------------------
  ! The procedures of the @PREFIX@_ family: helpers, then the public ones.

  ! The address of a matrix's first element for C, or NULL when it has none.
  ! Only called on arrays checked contiguous.
  function address2_@SUFFIX@(a) result(p)
    real(@KIND@), intent(in), target :: a(:, :)
    type(c_ptr) :: p
    p = c_null_ptr
    if (size(a) > 0) p = c_loc(a(1, 1))
  end function address2_@SUFFIX@

  function address1_@SUFFIX@(a) result(p)
    real(@KIND@), intent(in), target :: a(:)
    type(c_ptr) :: p
    p = c_null_ptr
    if (size(a) > 0) p = c_loc(a(1))
  end function address1_@SUFFIX@

  ! Whether a is a contiguous rows x batch matrix.
  pure logical function fits_@SUFFIX@(a, rows, batch)
    real(@KIND@), intent(in) :: a(:, :)
    integer(c_size_t), intent(in) :: rows, batch
    fits_@SUFFIX@ = is_contiguous(a) .and. size(a, 1, c_size_t) == rows .and. &
        size(a, 2, c_size_t) == batch
  end function fits_@SUFFIX@

  ! Whether an optional vector is absent, or contiguous with n entries.
  pure logical function fits_vector_@SUFFIX@(a, n)
    real(@KIND@), intent(in), optional :: a(:)
    integer(c_size_t), intent(in) :: n
    fits_vector_@SUFFIX@ = .true.
    if (present(a)) fits_vector_@SUFFIX@ = is_contiguous(a) .and. size(a, 1, c_size_t) == n
  end function fits_vector_@SUFFIX@

  function optional_address1_@SUFFIX@(a) result(p)
    real(@KIND@), intent(in), optional, target :: a(:)
    type(c_ptr) :: p
    p = c_null_ptr
    if (present(a)) p = address1(a)
  end function optional_address1_@SUFFIX@

  ! n_0 and n_L of a network (0 for none).
  pure integer(c_size_t) function n_in@F@(ptr)
    type(c_ptr), intent(in) :: ptr
    n_in@F@ = @C@_layer_size(ptr, 0_c_size_t)
  end function n_in@F@

  pure integer(c_size_t) function n_out@F@(ptr)
    type(c_ptr), intent(in) :: ptr
    n_out@F@ = @C@_layer_size(ptr, @C@_n_layers(ptr))
  end function n_out@F@

  ! ------------------------------------------------------------------------
  ! Ownership: one owner per network, finalisation frees. An intrinsic
  ! assignment would copy the C pointer and free it twice, so assignment
  ! copies the network instead. Both are elemental, so that arrays of
  ! networks are copied and freed element by element too (a scalar-only
  ! assignment would leave array assignment intrinsic, sharing pointers,
  ! and a scalar-only final procedure would never free a local array).

  impure elemental subroutine assign_net@F@(lhs, rhs)
    class(@PREFIX@_net), intent(inout) :: lhs
    class(@PREFIX@_net), intent(in) :: rhs
    type(c_ptr) :: copy
    integer(c_int) :: status
    if (c_associated(lhs%ptr, rhs%ptr)) return   ! a = a
    copy = c_null_ptr
    if (c_associated(rhs%ptr)) status = @C@_clone(copy, rhs%ptr)
    call @C@_free(lhs%ptr)
    lhs%ptr = copy
  end subroutine assign_net@F@

  impure elemental subroutine final_net@F@(net)
    type(@PREFIX@_net), intent(inout) :: net
    call @C@_free(net%ptr)
    net%ptr = c_null_ptr
  end subroutine final_net@F@

  ! A workspace is scratch that nothing needs copied: after b = a, b holds
  ! none (create one with mlp_workspace_create).
  impure elemental subroutine assign_workspace@F@(lhs, rhs)
    class(@PREFIX@_workspace), intent(inout) :: lhs
    class(@PREFIX@_workspace), intent(in) :: rhs
    if (c_associated(lhs%ptr, rhs%ptr)) return
    call @C@_workspace_free(lhs%ptr)
    lhs%ptr = c_null_ptr
  end subroutine assign_workspace@F@

  impure elemental subroutine final_workspace@F@(ws)
    type(@PREFIX@_workspace), intent(inout) :: ws
    call @C@_workspace_free(ws%ptr)
    ws%ptr = c_null_ptr
  end subroutine final_workspace@F@

  ! ------------------------------------------------------------------------
  ! Lifecycle

  ! sizes(1) inputs, sizes(l + 1) units of layer l; acts(l) is layer l's
  ! activation (absent: sigmoid everywhere).
  function create_@SUFFIX@(net, sizes, acts, loss, seed) result(status)
    type(@PREFIX@_net), intent(inout) :: net
    integer, intent(in) :: sizes(:)
    integer(c_int), intent(in), optional :: acts(:)
    integer(c_int), intent(in) :: loss
    integer(c_int64_t), intent(in) :: seed
    integer(c_int) :: status
    integer(c_size_t) :: c_sizes(max(size(sizes), 1))
    integer(c_int), target :: c_acts(max(size(sizes) - 1, 1))
    type(c_ptr) :: acts_ptr
    call final_net@F@(net)
    status = MLP_ERR_ARG
    if (size(sizes) < 2 .or. any(sizes < 1)) return
    c_sizes(1:size(sizes)) = int(sizes, c_size_t)
    acts_ptr = c_null_ptr
    if (present(acts)) then
      if (size(acts) /= size(sizes) - 1) return
      c_acts(1:size(acts)) = acts
      acts_ptr = c_loc(c_acts)
    end if
    status = @C@_create(net%ptr, int(size(sizes) - 1, c_size_t), c_sizes, &
        acts_ptr, loss, seed)
  end function create_@SUFFIX@

  function mlp_create_@SUFFIX@32(net, sizes, acts, loss, seed) result(status)
    type(@PREFIX@_net), intent(inout) :: net
    integer, intent(in) :: sizes(:)
    integer(c_int), intent(in), optional :: acts(:)
    integer(c_int), intent(in) :: loss
    integer(c_int32_t), intent(in) :: seed
    integer(c_int) :: status
    status = create_@SUFFIX@(net, sizes, acts, loss, int(seed, c_int64_t))
  end function mlp_create_@SUFFIX@32

  function mlp_create_@SUFFIX@64(net, sizes, acts, loss, seed) result(status)
    type(@PREFIX@_net), intent(inout) :: net
    integer, intent(in) :: sizes(:)
    integer(c_int), intent(in), optional :: acts(:)
    integer(c_int), intent(in) :: loss
    integer(c_int64_t), intent(in) :: seed
    integer(c_int) :: status
    status = create_@SUFFIX@(net, sizes, acts, loss, seed)
  end function mlp_create_@SUFFIX@64

  subroutine mlp_free_@SUFFIX@(net)
    type(@PREFIX@_net), intent(inout) :: net
    call final_net@F@(net)
  end subroutine mlp_free_@SUFFIX@

  ! copy receives a deep copy of net (and releases what it held before);
  ! on failure it holds no network.
  function mlp_clone_@SUFFIX@(copy, net) result(status)
    type(@PREFIX@_net), intent(inout) :: copy
    type(@PREFIX@_net), intent(in) :: net
    integer(c_int) :: status
    type(c_ptr) :: p
    p = c_null_ptr
    status = @C@_clone(p, net%ptr)
    call final_net@F@(copy)
    copy%ptr = p
  end function mlp_clone_@SUFFIX@

  ! ------------------------------------------------------------------------
  ! Shape

  pure integer(c_size_t) function mlp_n_layers_@SUFFIX@(net)
    type(@PREFIX@_net), intent(in) :: net
    mlp_n_layers_@SUFFIX@ = @C@_n_layers(net%ptr)
  end function mlp_n_layers_@SUFFIX@

  pure integer(c_size_t) function mlp_layer_size_@SUFFIX@(net, l)
    type(@PREFIX@_net), intent(in) :: net
    integer, intent(in) :: l
    mlp_layer_size_@SUFFIX@ = 0
    if (l >= 0) mlp_layer_size_@SUFFIX@ = @C@_layer_size(net%ptr, int(l, c_size_t))
  end function mlp_layer_size_@SUFFIX@

  pure integer(c_int) function mlp_layer_activation_@SUFFIX@(net, l)
    type(@PREFIX@_net), intent(in) :: net
    integer, intent(in) :: l
    mlp_layer_activation_@SUFFIX@ = -1
    if (l >= 0) mlp_layer_activation_@SUFFIX@ = @C@_layer_activation(net%ptr, int(l, c_size_t))
  end function mlp_layer_activation_@SUFFIX@

  pure integer(c_int) function mlp_loss_kind_@SUFFIX@(net)
    type(@PREFIX@_net), intent(in) :: net
    mlp_loss_kind_@SUFFIX@ = @C@_loss_kind(net%ptr)
  end function mlp_loss_kind_@SUFFIX@

  pure integer(c_size_t) function mlp_n_params_@SUFFIX@(net)
    type(@PREFIX@_net), intent(in) :: net
    mlp_n_params_@SUFFIX@ = @C@_n_params(net%ptr)
  end function mlp_n_params_@SUFFIX@

  ! ------------------------------------------------------------------------
  ! Parameters and gradients: pointers into the network (null pointers for
  ! a bad layer or no network), valid until the network is freed.

  function layer_matrix@F@(net, l, p) result(W)
    type(@PREFIX@_net), intent(in) :: net
    integer, intent(in) :: l
    type(c_ptr), intent(in) :: p
    real(@KIND@), pointer, contiguous :: W(:, :)
    W => null()
    if (.not. c_associated(p)) return
    call c_f_pointer(p, W, [@C@_layer_size(net%ptr, int(l - 1, c_size_t)), &
        @C@_layer_size(net%ptr, int(l, c_size_t))])
  end function layer_matrix@F@

  function layer_vector@F@(net, l, p) result(b)
    type(@PREFIX@_net), intent(in) :: net
    integer, intent(in) :: l
    type(c_ptr), intent(in) :: p
    real(@KIND@), pointer, contiguous :: b(:)
    b => null()
    if (.not. c_associated(p)) return
    call c_f_pointer(p, b, [@C@_layer_size(net%ptr, int(l, c_size_t))])
  end function layer_vector@F@

  ! W(n_(l-1), n_l): W(j, i) is the weight from unit j of layer l-1 to unit
  ! i of layer l (C's W[i][j]).
  function mlp_weights_@SUFFIX@(net, l) result(W)
    type(@PREFIX@_net), intent(in) :: net
    integer, intent(in) :: l
    real(@KIND@), pointer, contiguous :: W(:, :)
    W => null()
    if (l >= 1) W => layer_matrix@F@(net, l, @C@_weights(net%ptr, int(l, c_size_t)))
  end function mlp_weights_@SUFFIX@

  function mlp_biases_@SUFFIX@(net, l) result(b)
    type(@PREFIX@_net), intent(in) :: net
    integer, intent(in) :: l
    real(@KIND@), pointer, contiguous :: b(:)
    b => null()
    if (l >= 1) b => layer_vector@F@(net, l, @C@_biases(net%ptr, int(l, c_size_t)))
  end function mlp_biases_@SUFFIX@

  function mlp_weight_grads_@SUFFIX@(net, l) result(W)
    type(@PREFIX@_net), intent(in) :: net
    integer, intent(in) :: l
    real(@KIND@), pointer, contiguous :: W(:, :)
    W => null()
    if (l >= 1) W => layer_matrix@F@(net, l, @C@_weight_grads(net%ptr, int(l, c_size_t)))
  end function mlp_weight_grads_@SUFFIX@

  function mlp_bias_grads_@SUFFIX@(net, l) result(b)
    type(@PREFIX@_net), intent(in) :: net
    integer, intent(in) :: l
    real(@KIND@), pointer, contiguous :: b(:)
    b => null()
    if (l >= 1) b => layer_vector@F@(net, l, @C@_bias_grads(net%ptr, int(l, c_size_t)))
  end function mlp_bias_grads_@SUFFIX@

  function mlp_params_@SUFFIX@(net) result(p)
    type(@PREFIX@_net), intent(in) :: net
    real(@KIND@), pointer, contiguous :: p(:)
    type(c_ptr) :: c
    p => null()
    c = @C@_params(net%ptr)
    if (c_associated(c)) call c_f_pointer(c, p, [@C@_n_params(net%ptr)])
  end function mlp_params_@SUFFIX@

  function mlp_grads_@SUFFIX@(net) result(g)
    type(@PREFIX@_net), intent(in) :: net
    real(@KIND@), pointer, contiguous :: g(:)
    type(c_ptr) :: c
    g => null()
    c = @C@_grads(net%ptr)
    if (c_associated(c)) call c_f_pointer(c, g, [@C@_n_params(net%ptr)])
  end function mlp_grads_@SUFFIX@

  ! ------------------------------------------------------------------------
  ! Forward and backward: X(n_0, batch), T and Y (n_L, batch).

  function mlp_predict_@SUFFIX@(net, X, Y) result(status)
    type(@PREFIX@_net), intent(in) :: net
    real(@KIND@), intent(in), target :: X(:, :)
    real(@KIND@), intent(inout), target :: Y(:, :)
    integer(c_int) :: status
    integer(c_size_t) :: batch, n0, nl
    batch = size(X, 2, c_size_t)
    n0 = n_in@F@(net%ptr)
    nl = n_out@F@(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits(X, n0, batch) .and. fits(Y, nl, batch))) return
    status = @C@_predict(net%ptr, batch, address2(X), address2(Y))
  end function mlp_predict_@SUFFIX@

  function mlp_backprop_@SUFFIX@(net, X, T, cost) result(status)
    type(@PREFIX@_net), intent(in) :: net
    real(@KIND@), intent(in), target :: X(:, :), T(:, :)
    real(@KIND@), intent(inout), optional, target :: cost
    integer(c_int) :: status
    integer(c_size_t) :: batch, n0, nl
    type(c_ptr) :: cost_ptr
    batch = size(X, 2, c_size_t)
    n0 = n_in@F@(net%ptr)
    nl = n_out@F@(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits(X, n0, batch) .and. fits(T, nl, batch))) return
    cost_ptr = c_null_ptr
    if (present(cost)) cost_ptr = c_loc(cost)
    status = @C@_backprop(net%ptr, batch, address2(X), address2(T), cost_ptr)
  end function mlp_backprop_@SUFFIX@

  ! ------------------------------------------------------------------------
  ! Input and output scaling: in_* have n_0 entries, out_* n_L; an absent
  ! array is C's NULL.

  function mlp_set_scaling_@SUFFIX@(net, in_mean, in_std, out_mean, out_std) result(status)
    type(@PREFIX@_net), intent(in) :: net
    real(@KIND@), intent(in), optional, target :: in_mean(:), in_std(:), &
        out_mean(:), out_std(:)
    integer(c_int) :: status
    integer(c_size_t) :: n0, nl
    n0 = n_in@F@(net%ptr)
    nl = n_out@F@(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits_vector_@SUFFIX@(in_mean, n0) .and. fits_vector_@SUFFIX@(in_std, n0) .and. &
        fits_vector_@SUFFIX@(out_mean, nl) .and. fits_vector_@SUFFIX@(out_std, nl))) return
    status = @C@_set_scaling(net%ptr, optional_address1_@SUFFIX@(in_mean), &
        optional_address1_@SUFFIX@(in_std), optional_address1_@SUFFIX@(out_mean), &
        optional_address1_@SUFFIX@(out_std))
  end function mlp_set_scaling_@SUFFIX@

  function mlp_fit_scaling_@SUFFIX@(net, X, T) result(status)
    type(@PREFIX@_net), intent(in) :: net
    real(@KIND@), intent(in), target :: X(:, :)
    real(@KIND@), intent(in), optional, target :: T(:, :)
    integer(c_int) :: status
    integer(c_size_t) :: n, n0, nl
    type(c_ptr) :: t_ptr
    n = size(X, 2, c_size_t)
    n0 = n_in@F@(net%ptr)
    nl = n_out@F@(net%ptr)
    status = MLP_ERR_ARG
    if (.not. fits(X, n0, n)) return
    t_ptr = c_null_ptr
    if (present(T)) then
      if (.not. fits(T, nl, n)) return
      t_ptr = address2(T)
    end if
    status = @C@_fit_scaling(net%ptr, n, address2(X), t_ptr)
  end function mlp_fit_scaling_@SUFFIX@

  function mlp_get_scaling_@SUFFIX@(net, in_mean, in_std, out_mean, out_std) result(status)
    type(@PREFIX@_net), intent(in) :: net
    real(@KIND@), intent(inout), optional, target :: in_mean(:), in_std(:), &
        out_mean(:), out_std(:)
    integer(c_int) :: status
    integer(c_size_t) :: n0, nl
    n0 = n_in@F@(net%ptr)
    nl = n_out@F@(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits_vector_@SUFFIX@(in_mean, n0) .and. fits_vector_@SUFFIX@(in_std, n0) .and. &
        fits_vector_@SUFFIX@(out_mean, nl) .and. fits_vector_@SUFFIX@(out_std, nl))) return
    status = @C@_get_scaling(net%ptr, optional_address1_@SUFFIX@(in_mean), &
        optional_address1_@SUFFIX@(in_std), optional_address1_@SUFFIX@(out_mean), &
        optional_address1_@SUFFIX@(out_std))
  end function mlp_get_scaling_@SUFFIX@

  ! ------------------------------------------------------------------------
  ! Optimizers

  function mlp_set_sgd_@SUFFIX@(net, learning_rate, momentum) result(status)
    type(@PREFIX@_net), intent(in) :: net
    real(c_double), intent(in) :: learning_rate, momentum
    integer(c_int) :: status
    status = @C@_set_sgd(net%ptr, learning_rate, momentum)
  end function mlp_set_sgd_@SUFFIX@

  function mlp_step_@SUFFIX@(net) result(status)
    type(@PREFIX@_net), intent(in) :: net
    integer(c_int) :: status
    status = @C@_step(net%ptr)
  end function mlp_step_@SUFFIX@

  function mlp_train_batch_@SUFFIX@(net, X, T, cost) result(status)
    type(@PREFIX@_net), intent(in) :: net
    real(@KIND@), intent(in), target :: X(:, :), T(:, :)
    real(@KIND@), intent(inout), optional, target :: cost
    integer(c_int) :: status
    integer(c_size_t) :: batch, n0, nl
    type(c_ptr) :: cost_ptr
    batch = size(X, 2, c_size_t)
    n0 = n_in@F@(net%ptr)
    nl = n_out@F@(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits(X, n0, batch) .and. fits(T, nl, batch))) return
    cost_ptr = c_null_ptr
    if (present(cost)) cost_ptr = c_loc(cost)
    status = @C@_train_batch(net%ptr, batch, address2(X), address2(T), cost_ptr)
  end function mlp_train_batch_@SUFFIX@

  function mlp_set_adam_@SUFFIX@(net, learning_rate, beta1, beta2, epsilon) result(status)
    type(@PREFIX@_net), intent(in) :: net
    real(c_double), intent(in) :: learning_rate, beta1, beta2, epsilon
    integer(c_int) :: status
    status = @C@_set_adam(net%ptr, learning_rate, beta1, beta2, epsilon)
  end function mlp_set_adam_@SUFFIX@

  function mlp_set_weight_decay_@SUFFIX@(net, lambda) result(status)
    type(@PREFIX@_net), intent(in) :: net
    real(c_double), intent(in) :: lambda
    integer(c_int) :: status
    status = @C@_set_weight_decay(net%ptr, lambda)
  end function mlp_set_weight_decay_@SUFFIX@

  function mlp_init_@SUFFIX@32(net, kind, seed) result(status)
    type(@PREFIX@_net), intent(in) :: net
    integer(c_int), intent(in) :: kind
    integer(c_int32_t), intent(in) :: seed
    integer(c_int) :: status
    status = @C@_init(net%ptr, kind, int(seed, c_int64_t))
  end function mlp_init_@SUFFIX@32

  function mlp_init_@SUFFIX@64(net, kind, seed) result(status)
    type(@PREFIX@_net), intent(in) :: net
    integer(c_int), intent(in) :: kind
    integer(c_int64_t), intent(in) :: seed
    integer(c_int) :: status
    status = @C@_init(net%ptr, kind, seed)
  end function mlp_init_@SUFFIX@64

  ! ------------------------------------------------------------------------
  ! The fit loop

  ! X(n_0, n), T(n_L, n); options absent: the defaults; result optional.
  function mlp_fit_@SUFFIX@(net, X, T, options, result) result(status)
    type(@PREFIX@_net), intent(in) :: net
    real(@KIND@), intent(in), target :: X(:, :), T(:, :)
    type(mlp_fit_options), intent(in), optional, target :: options
    type(mlp_fit_result), intent(inout), optional, target :: result
    integer(c_int) :: status
    integer(c_size_t) :: n, n0, nl
    type(c_ptr) :: options_ptr, result_ptr
    n = size(X, 2, c_size_t)
    n0 = n_in@F@(net%ptr)
    nl = n_out@F@(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits(X, n0, n) .and. fits(T, nl, n))) return
    options_ptr = c_null_ptr
    result_ptr = c_null_ptr
    if (present(options)) options_ptr = c_loc(options)
    if (present(result)) result_ptr = c_loc(result)
    status = @C@_fit(net%ptr, n, address2(X), address2(T), options_ptr, result_ptr)
  end function mlp_fit_@SUFFIX@

  ! ------------------------------------------------------------------------
  ! Model files

  ! Trailing blanks of path are ignored, as by Fortran's OPEN (FILE=), so
  ! that a path held in a fixed-length variable names the file it shows.
  function mlp_save_@SUFFIX@(net, path) result(status)
    type(@PREFIX@_net), intent(in) :: net
    character(*), intent(in) :: path
    integer(c_int) :: status
    status = @C@_save(net%ptr, to_c_string(trim(path)))
  end function mlp_save_@SUFFIX@

  function mlp_load_@SUFFIX@(net, path) result(status)
    type(@PREFIX@_net), intent(inout) :: net
    character(*), intent(in) :: path
    integer(c_int) :: status
    call final_net@F@(net)
    status = @C@_load(net%ptr, to_c_string(trim(path)))
  end function mlp_load_@SUFFIX@

  ! data: the bytes of a model file.
  function mlp_load_buffer_@SUFFIX@(net, data) result(status)
    type(@PREFIX@_net), intent(inout) :: net
    integer(c_int8_t), intent(in), target :: data(:)
    integer(c_int) :: status
    type(c_ptr) :: p
    call final_net@F@(net)
    status = MLP_ERR_ARG
    if (.not. is_contiguous(data)) return
    p = c_null_ptr
    if (size(data) > 0) p = c_loc(data(1))
    status = @C@_load_buffer(net%ptr, p, size(data, 1, c_size_t))
  end function mlp_load_buffer_@SUFFIX@

  ! The exact size in bytes of net's model file (0 for no network).
  pure integer(c_size_t) function mlp_saved_size_@SUFFIX@(net)
    type(@PREFIX@_net), intent(in) :: net
    mlp_saved_size_@SUFFIX@ = @C@_saved_size(net%ptr)
  end function mlp_saved_size_@SUFFIX@

  ! Writes net's model file into data(1 : mlp_saved_size(net)); data may be
  ! larger. MLP_ERR_ARG (data untouched) if it is smaller.
  function mlp_save_buffer_@SUFFIX@(net, data) result(status)
    type(@PREFIX@_net), intent(in) :: net
    integer(c_int8_t), intent(inout), target :: data(:)
    integer(c_int) :: status
    type(c_ptr) :: p
    status = MLP_ERR_ARG
    if (.not. is_contiguous(data)) return
    p = c_null_ptr
    if (size(data) > 0) p = c_loc(data(1))
    status = @C@_save_buffer(net%ptr, p, size(data, 1, c_size_t))
  end function mlp_save_buffer_@SUFFIX@

  ! ------------------------------------------------------------------------
  ! Workspaces and read-only prediction

  function mlp_workspace_create_@SUFFIX@(ws, net, max_batch) result(status)
    type(@PREFIX@_workspace), intent(inout) :: ws
    type(@PREFIX@_net), intent(in) :: net
    integer, intent(in) :: max_batch
    integer(c_int) :: status
    call final_workspace@F@(ws)
    status = MLP_ERR_ARG
    if (max_batch < 1) return
    status = @C@_workspace_create(ws%ptr, net%ptr, int(max_batch, c_size_t))
  end function mlp_workspace_create_@SUFFIX@

  subroutine mlp_workspace_free_@SUFFIX@(ws)
    type(@PREFIX@_workspace), intent(inout) :: ws
    call final_workspace@F@(ws)
  end subroutine mlp_workspace_free_@SUFFIX@

  function mlp_predict_ws_@SUFFIX@(net, ws, X, Y) result(status)
    type(@PREFIX@_net), intent(in) :: net
    type(@PREFIX@_workspace), intent(in) :: ws
    real(@KIND@), intent(in), target :: X(:, :)
    real(@KIND@), intent(inout), target :: Y(:, :)
    integer(c_int) :: status
    integer(c_size_t) :: batch, n0, nl
    batch = size(X, 2, c_size_t)
    n0 = n_in@F@(net%ptr)
    nl = n_out@F@(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits(X, n0, batch) .and. fits(Y, nl, batch))) return
    status = @C@_predict_ws(net%ptr, ws%ptr, batch, address2(X), address2(Y))
  end function mlp_predict_ws_@SUFFIX@

  ! ------------------------------------------------------------------------
  ! Derivatives of the predictions with respect to the inputs, sample by
  ! sample: J(j, i, b) = dY(i, b) / dX(j, b); mlp_vjp gives
  ! G(:, b) = sum over i of V(i, b) * J(:, i, b), mlp_jvp
  ! U(i, b) = sum over j of J(j, i, b) * D(j, b).

  ! J(n_0, n_L, batch): C's batch x n_L x n_0.
  function mlp_jacobian_@SUFFIX@(net, ws, X, J) result(status)
    type(@PREFIX@_net), intent(in) :: net
    type(@PREFIX@_workspace), intent(in) :: ws
    real(@KIND@), intent(in), target :: X(:, :)
    real(@KIND@), intent(inout), target :: J(:, :, :)
    integer(c_int) :: status
    integer(c_size_t) :: batch, n0, nl
    type(c_ptr) :: j_ptr
    batch = size(X, 2, c_size_t)
    n0 = n_in@F@(net%ptr)
    nl = n_out@F@(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits(X, n0, batch) .and. is_contiguous(J))) return
    if (any(shape(J, c_size_t) /= [n0, nl, batch])) return
    j_ptr = c_null_ptr
    if (size(J) > 0) j_ptr = c_loc(J(1, 1, 1))
    status = @C@_jacobian(net%ptr, ws%ptr, batch, address2(X), j_ptr)
  end function mlp_jacobian_@SUFFIX@

  ! V(n_L, batch) in, G(n_0, batch) out.
  function mlp_vjp_@SUFFIX@(net, ws, X, V, G) result(status)
    type(@PREFIX@_net), intent(in) :: net
    type(@PREFIX@_workspace), intent(in) :: ws
    real(@KIND@), intent(in), target :: X(:, :), V(:, :)
    real(@KIND@), intent(inout), target :: G(:, :)
    integer(c_int) :: status
    integer(c_size_t) :: batch, n0, nl
    batch = size(X, 2, c_size_t)
    n0 = n_in@F@(net%ptr)
    nl = n_out@F@(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits(X, n0, batch) .and. fits(V, nl, batch) .and. &
        fits(G, n0, batch))) return
    status = @C@_vjp(net%ptr, ws%ptr, batch, address2(X), address2(V), address2(G))
  end function mlp_vjp_@SUFFIX@

  ! D(n_0, batch) in, U(n_L, batch) out.
  function mlp_jvp_@SUFFIX@(net, ws, X, D, U) result(status)
    type(@PREFIX@_net), intent(in) :: net
    type(@PREFIX@_workspace), intent(in) :: ws
    real(@KIND@), intent(in), target :: X(:, :), D(:, :)
    real(@KIND@), intent(inout), target :: U(:, :)
    integer(c_int) :: status
    integer(c_size_t) :: batch, n0, nl
    batch = size(X, 2, c_size_t)
    n0 = n_in@F@(net%ptr)
    nl = n_out@F@(net%ptr)
    status = MLP_ERR_ARG
    if (.not. (fits(X, n0, batch) .and. fits(D, n0, batch) .and. &
        fits(U, nl, batch))) return
    status = @C@_jvp(net%ptr, ws%ptr, batch, address2(X), address2(D), address2(U))
  end function mlp_jvp_@SUFFIX@
!@end precision

end module mlp
